import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
application = get_wsgi_application()

# What the process holds after start-up (the apps, models, settings and URLs: some 150,000
# objects) stays until it ends: left out of the garbage collector's full passes, which otherwise
# walk it all and stop every thread of the worker for 50 to 100 ms each time, the slowest
# bookings' wait (docs/benchmarks.md).
get_resolver().url_patterns  # noqa: B018 - loaded now rather than by the first request
gc.freeze()
