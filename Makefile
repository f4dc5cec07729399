# Guichet development tasks. Needs GNU make and Python >= 3.11; everything else goes into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
MANAGE := $(BIN)/python manage.py

.PHONY: install run test lock clean

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Guichet needs Python 3.11 or newer (PYTHON=$(PYTHON))."; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Re-installs only when the dependencies change (the stamp is older than pyproject.toml or the lock).
$(STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $@

# The development site with demo data: web server, task worker and scheduler; Ctrl-C stops all three.
run: export DEBUG = on
run: install
	mkdir -p var
	$(MANAGE) migrate --no-input
	$(MANAGE) createcachetable
	$(MANAGE) load_demo_data
	$(MANAGE) devserver

# Lint, format and import-layer checks first (seconds), then pytest; -ra (pyproject.toml) lists every skipped test with its reason; CI=true turns
# the PostgreSQL and Chromium skips into failures. The tests run in one process per core
# (pytest-xdist; each process has its own test database): TEST_PROCESSES=0 runs them in this one.
TEST_PROCESSES ?= auto
test: install node_modules/.package-lock.json
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

# axe-core for the accessibility tests; without npm those tests are skipped (failed with CI=true).
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund; \
	else echo "npm not found: the accessibility tests will be skipped (apt-get install npm)."; fi

# After a change of the ranges in pyproject.toml: installs what they now need (without the old
# pins) and pins the result. Start from `make clean` to drop packages no longer needed.
lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	{ sed -n '/^#/p' requirements.lock; $(BIN)/pip freeze --exclude-editable; } > requirements.lock.new
	mv requirements.lock.new requirements.lock
	touch $(STAMP)

clean:
	rm -rf $(VENV) var
