"""Celery tasks of the dossiers app: take ids, re-read state, return early when done.

Queues come from CELERY_TASK_ROUTES in settings (``send_*`` → notifications).
"""

from __future__ import annotations

import datetime

from celery import shared_task

from dossiers import notifications
from dossiers.models import NotificationStatus


def backoff(retries: int) -> int:
    """30 s, 60 s, 120 s … capped at 30 min (below the broker's visibility timeout)."""
    return min(30 * 2**retries, 1800)


@shared_task(bind=True, acks_late=True, max_retries=10, name="dossiers.tasks.send_notification")
def send_notification(self, notification_id: int) -> str:
    status = notifications.deliver(notification_id)
    if status == NotificationStatus.PENDING and not self.request.is_eager:
        raise self.retry(countdown=backoff(self.request.retries))
    return status


@shared_task(acks_late=True, name="dossiers.tasks.send_pending_notifications")
def send_pending_notifications(older_than_minutes: int = 5) -> int:
    """Beat sweep: re-enqueue messages still pending (lost enqueue, broker outage, retries)."""
    ids = notifications.pending_for_retry(datetime.timedelta(minutes=older_than_minutes))
    for notification_id in ids:
        send_notification.delay(notification_id)
    return len(ids)


@shared_task(acks_late=True, name="dossiers.tasks.purge_orphan_files")
def purge_orphan_files(older_than_hours: int = 24) -> int:
    """Daily: remove stored files no attachment references (see attachments.AttachmentWriter)."""
    from dossiers.attachments import purge_orphan_files as purge

    return purge(datetime.timedelta(hours=older_than_hours))


from dossiers import routing_tasks  # noqa: E402, F401  (registers the routing tasks)
