"""Periodic and queued work of the statistics (beat: ``dossiers-stats-refresh``, hourly;
``dossiers-stats-fold``, every minute, beside the folds the listener schedules)."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from dossiers.statistics import cache as stats_cache


@shared_task(name="dossiers.statistics.tasks.refresh_stock", acks_late=True, time_limit=1800,
             soft_time_limit=1700)  # fmt: skip
def refresh_stock() -> dict:
    """Take today's stock (in process, overdue) live; once a day also rebuild the month of
    yesterday from the dossiers (repairs an increment lost to a crash between a transition's
    commit and its listener) and prune the ledger. Idempotent: re-running changes nothing."""
    from dossiers.statistics import aggregation, rebuild, stock

    today = stock.take_live()
    result = {"snapshot": today.isoformat(), "healed": None}
    yesterday = today - datetime.timedelta(days=1)
    if cache.add(f"stats:healed:{today.isoformat()}", 1, 2 * 86400):
        rebuild.rebuild(yesterday, yesterday)
        aggregation.prune_ledger()
        result["healed"] = yesterday.isoformat()
    stats_cache.bump_generation()
    result["at"] = timezone.now().isoformat()
    return result


@shared_task(name="dossiers.statistics.tasks.fold_events", acks_late=True)
def fold_events() -> int:
    """Count the history rows queued by the statistics listener (``fold``), in batches."""
    from dossiers.statistics import fold

    return fold.fold() if settings.REDIS_URL else 0
