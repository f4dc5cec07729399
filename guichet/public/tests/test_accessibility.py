"""axe-core on every public page, at desktop and phone widths: no serious or critical violation.

axe-core comes from npm (package.json at the repository root): `npm ci` installs it."""

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from guichet.conftest import running_in_ci
from guichet.public.tests.browsing import PERSON, fill, keep_offline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_PATH = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 375, "height": 812}}


@pytest.fixture(scope="module")
def axe_script() -> str:
    if not AXE_PATH.is_file():
        reason = f"needs axe-core at {AXE_PATH}: run `npm ci` at the repository root"
        if running_in_ci():
            pytest.fail(f"{reason} — CI=true: this test must run, not be skipped.", pytrace=False)
        pytest.skip(reason)
    return AXE_PATH.read_text()


def blocking_violations(page, axe_script: str) -> list[dict]:
    page.add_script_tag(content=axe_script)
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]


def describe(found: dict[str, list[dict]]) -> str:
    """The violations, page by page, with the elements at fault, for the assertion message."""
    lines = []
    for name, violations in found.items():
        for violation in violations:
            lines.append(
                f"{name}: [{violation['impact']}] {violation['id']}: {violation['help']}"
                f" ({violation['helpUrl']})"
            )
            for node in violation["nodes"][:5]:
                lines.append(f"    {' '.join(node['target'])}: {node['html'][:200]}")
                lines.append(f"      {node['failureSummary'].replace(chr(10), ' ')}")
    return "\n".join(lines)


@pytest.mark.parametrize("viewport", VIEWPORTS.values(), ids=VIEWPORTS.keys())
def test_public_pages_have_no_serious_violation(
    axe_script, live_server, chromium, open_session, viewport
):
    # axe is injected as a script: only these contexts bypass the content security policy.
    context = chromium.new_context(bypass_csp=True, locale="fr-FR", viewport=viewport)
    keep_offline(context, live_server.url)
    page = context.new_page()
    page.set_default_timeout(5000)
    found = {}

    def check(name: str, heading: str) -> None:
        # The heading proves the page is the one meant, before axe judges it.
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        found[name] = blocking_violations(page, axe_script)

    page.goto(live_server.url)
    check("liste", "Les activités")
    page.goto(live_server.url + "/?name=aucune-activite")
    expect(page.get_by_text("Aucune activité ne correspond à votre recherche.")).to_be_visible()
    check("liste sans résultat", "Les activités")
    page.goto(
        live_server.url + reverse("public:activity_detail", args=[open_session.activity.slug])
    )
    check("activité", open_session.activity.name)
    page.goto(live_server.url + reverse("public:session_book", args=[open_session.pk]))
    check("formulaire", "Formulaire de réservation")
    page.get_by_role("button", name="RÉSERVER").click()
    check("formulaire avec erreurs", "Votre réservation n'est pas enregistrée")
    fill(page, PERSON)
    page.get_by_role("button", name="RÉSERVER").click()
    check("ma réservation", "Ma réservation")
    page.get_by_role("link", name="Annuler ma réservation").click()
    check("annulation", "Annuler ma réservation")
    page.get_by_role("button", name="Oui, annuler ma réservation").click()
    expect(page.get_by_text("Votre réservation a été annulée.")).to_be_visible()
    check("après annulation", "Ma réservation")
    context.close()

    assert len(found) == 8
    assert not any(found.values()), "axe-core:\n" + describe(found)
