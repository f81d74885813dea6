"""PostgreSQL backend: Django's, with health checks only for a connection that sat idle.

Django's ``CONN_HEALTH_CHECKS`` sends ``SELECT 1`` before the first query of *every* request
that uses the database: one more round trip on every page and every filing, under load, when
the connection answered a moment ago (docs/performance.md, "Filing"). Here a connection that
finished a request less than ``DATABASE_HEALTH_CHECK_IDLE_SECONDS`` ago (default 1) is taken as
alive; one idle longer is checked as Django does. A server that restarts inside that window
costs the next request of each busy process one error (503, ``portal.security``), after which
the broken connection is closed and the following request reconnects. Settings:
``ENGINE = "portal.db.postgresql"`` with ``CONN_HEALTH_CHECKS = True``.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    #: When the connection last passed through a request boundary (start or end).
    _boundary_at: float | None = None

    def close_if_unusable_or_obsolete(self) -> None:
        """At each request's start and end (Django's request signals) and after each Celery
        task (``portal.celery``): Django's checks, then the idle rule above."""
        super().close_if_unusable_or_obsolete()
        if self.connection is None:
            self._boundary_at = None
            return
        now = time.monotonic()
        recent = self._boundary_at is not None and now - self._boundary_at < idle_seconds()
        self._boundary_at = now
        if recent and not self.errors_occurred:
            self.health_check_done = True  # answered a moment ago: no ``SELECT 1``


def idle_seconds() -> float:
    return float(getattr(settings, "DATABASE_HEALTH_CHECK_IDLE_SECONDS", 1.0))
