"""The Celery application. Settings (with the reasons for each) live in portal/settings.py
under the CELERY_ prefix; queues per concern are declared here so workers can subscribe to
any subset of them (``make worker QUEUES=routing``)."""

import os

from celery import Celery
from celery.signals import task_postrun
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Queues per concern; CELERY_TASK_ROUTES in settings sends each task to its queue.
QUEUES = ("default", "routing", "notifications", "documents", "postal")
app.conf.task_queues = [Queue(name) for name in QUEUES]
app.autodiscover_tasks()


@task_postrun.connect
def release_broken_connections(**kwargs) -> None:
    """After each task, close a database connection that had an error and no longer works, or
    that is older than ``CONN_MAX_AGE`` (what Django does after a request). A healthy connection
    is kept without a round trip: ``CELERY_DB_REUSE_MAX`` stops Celery closing it every task."""
    import time

    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if conn.connection is None or conn.in_atomic_block:  # an eager task inside a transaction
            continue
        if conn.errors_occurred or (
            conn.close_at is not None and time.monotonic() >= conn.close_at
        ):
            conn.close_if_unusable_or_obsolete()
