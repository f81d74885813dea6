"""The WSGI application (gunicorn ``portal.wsgi``).

Garbage collection: once the application is loaded, everything it loaded (Django, the URL
conf, the models, the templates' loaders…) lives as long as the process, so it is moved out of
the collector's reach (``gc.freeze``) and the youngest generation is collected every
``GC_GEN0_THRESHOLD`` allocations instead of CPython's 700 — a request allocates tens of
thousands of short-lived objects, and the default collected them ~100 times per filing for no
gain (docs/performance.md, "Filing, round 3"). ``GC_GEN0_THRESHOLD=0`` keeps CPython's defaults.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()


def _tune_garbage_collection() -> None:
    threshold = int(os.environ.get("GC_GEN0_THRESHOLD", "20000") or 0)
    if threshold <= 0:
        return
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - load the URL conf (and the views) before freezing
    gc.collect()
    gc.freeze()
    _gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(threshold, gen1, gen2)


_tune_garbage_collection()
