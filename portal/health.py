"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request) -> HttpResponse:
    """Liveness: the process answers. Touches nothing else (the benchmarks' floor)."""
    return HttpResponse("ok", content_type="text/plain")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool | None:
    """True/False for a configured broker, None in embedded mode (tasks run in-process)."""
    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme.startswith("redis"):
        import redis

        try:
            return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
        except Exception:
            return False
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 5672), timeout=2):
            return True
    except OSError:
        return False


@never_cache
def readyz(request) -> JsonResponse:
    """Readiness: database and broker reachable."""
    database = _database_ok()
    broker = _broker_ok()
    ready = database and broker is not False
    body = {
        "status": "ready" if ready else "unavailable",
        "database": database,
        "broker": "embedded" if broker is None else broker,
    }
    return JsonResponse(body, status=200 if ready else 503)
