"""pyHanko's synchronous API and running event loops (no Django here: pdfcheck uses it too)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def outside_event_loop(function, *args, **kwargs):
    """Call ``function`` where ``asyncio.run`` works.

    pyHanko's synchronous ``PdfSigner.sign_pdf`` and ``validate_pdf_signature`` run their own
    event loop with ``asyncio.run``, which raises in a thread that already runs one (an async
    view's thread, Playwright's sync API in tests, a gevent/eventlet worker, a child forked from
    such a thread). There the call moves to a short-lived thread of its own; elsewhere (WSGI
    requests, prefork Celery workers, management commands) it runs in place. ``function`` must
    not use the database: the other thread would have its own connection, outside the
    caller's transaction.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyhanko") as pool:
        return pool.submit(function, *args, **kwargs).result()
