"""The Celery app of the test workers: the portal's app, with the Redis transport sweeping
unacknowledged messages every second instead of every ~100 s (kombu's default), so a killed
worker's message comes back within the test's patience once ``CELERY_VISIBILITY_TIMEOUT`` (env)
has passed."""

from portal.celery import app

app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

__all__ = ["app", "backend_pid"]


@app.task(name="tests.routing.backend_pid")
def backend_pid(key: str) -> None:
    """Push the PostgreSQL backend serving this task to the Redis list ``key``."""
    import redis
    from django.conf import settings
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        redis.Redis.from_url(settings.REDIS_URL).rpush(key, cursor.fetchone()[0])
