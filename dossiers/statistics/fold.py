"""Counting history rows in batches, off the path of the change that made them.

With a worker and Redis (production shape), the ``dossier_transitioned`` listener only appends
the event id to a Redis list and, unless one is already scheduled, schedules the
``fold_events`` task a second later (one pipelined round trip): a hand-over delivered by the
routing worker no longer pays the statistics lock, ledger row, reads and upserts of its event,
and a burst of events is counted by a few batches (``aggregation.apply_events``).

Exactly once still rests on the ledger: a batch claims its events in the ledger in the same
transaction as its increments, so an event popped twice (two folds, a re-push after an error)
or already counted by a rebuild is skipped. ``LPOP`` hands each id to one fold; a fold whose
transaction fails pushes its ids back. Ids lost with Redis itself (a flushed or crashed Redis, a
fold killed between pop and commit) are the case the daily heal already covers (``tasks.
refresh_stock`` rebuilds yesterday). Beat also runs ``fold_events`` every minute, in case a
scheduled fold was lost with the broker.
"""

from __future__ import annotations

import logging
from functools import cache

from django.conf import settings

logger = logging.getLogger(__name__)

#: Ids popped per batch (one transaction), and batches per task run before it re-schedules.
BATCH = 500
MAX_BATCHES = 40
#: Seconds the fold waits after the first queued event, so a burst is counted in few batches.
DELAY = 1.0
#: A scheduled fold is remembered this long (a lost task is replaced after it, or by beat).
SCHEDULED_TTL = 30


def _prefix() -> str:
    return str(settings.CACHES.get("default", {}).get("KEY_PREFIX") or "motcua")


def pending_key() -> str:
    return f"{_prefix()}:stats:pending-events"


def scheduled_key() -> str:
    return f"{_prefix()}:stats:fold-scheduled"


@cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def batched() -> bool:
    """Whether events are queued for a fold (a real worker and Redis) or counted at once."""
    from portal.celery import app

    return (
        bool(settings.REDIS_URL)
        and not app.conf.task_always_eager
        and getattr(settings, "STATS_FOLD_EVENTS", True)
    )


def defer(event_id: int) -> bool:
    """Queue ``event_id`` for the next fold; False when Redis failed (count it now instead)."""
    return defer_many([event_id])


def defer_many(event_ids: list[int]) -> bool:
    """Queue events for the next fold in one round trip (a batch of routing deliveries);
    False when Redis failed (count them now instead)."""
    import redis

    if not event_ids:
        return True
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.rpush(pending_key(), *event_ids)
        pipe.set(scheduled_key(), 1, nx=True, ex=SCHEDULED_TTL)
        _, schedule = pipe.execute()
    except redis.RedisError as exc:
        logger.warning("statistics: cannot queue events %s (%r); counting them now", event_ids, exc)
        return False
    if schedule:
        _schedule(DELAY)
    return True


def _schedule(countdown: float) -> None:
    from dossiers.statistics.tasks import fold_events

    try:
        fold_events.apply_async(countdown=countdown)
    except Exception as exc:  # the broker is down: beat's fold or the flag's expiry recovers
        logger.warning("statistics: cannot schedule the fold (%r)", exc)


def fold(batch: int = BATCH, max_batches: int = MAX_BATCHES) -> int:
    """Count the queued events in batches; returns how many were counted now."""
    from dossiers.statistics.aggregation import apply_events

    client = _redis()
    client.delete(scheduled_key())  # events queued from now on schedule the next fold
    counted = 0
    for _ in range(max_batches):
        items = client.lpop(pending_key(), batch)
        if not items:
            return counted
        try:
            counted += apply_events([int(item) for item in items])
        except Exception:
            client.rpush(pending_key(), *items)  # back for the next fold
            raise
    if client.llen(pending_key()):
        _schedule(0)
    return counted


def pending() -> int:
    """How many events wait for a fold (0 when events are counted at once)."""
    return int(_redis().llen(pending_key())) if batched() else 0
