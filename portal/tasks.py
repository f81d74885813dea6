"""Tasks of the portal core."""

from functools import cache

from celery import shared_task
from django.conf import settings


@cache
def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL)


@shared_task(name="portal.tasks.noop", ignore_result=True)
def noop(counter_key: str | None = None) -> None:
    """Does nothing but (optionally) count itself in Redis.

    The floor of task throughput in `make bench` (benchmarks.md): routing is reported as a ratio
    to this task measured on the same broker and worker in the same run.
    """
    if counter_key and settings.REDIS_URL:
        _redis().incr(counter_key)
