"""Celery tasks of the official documents, routed to the ``documents`` queue (``render_*`` in
CELERY_TASK_ROUTES). They take ids, re-read state and return early when the PDF exists.
Registered in every process by ``dossiers.documents.hooks.install`` (this module imports only
Celery and settings at the top, so that is cheap).

``render_event_document`` retries with backoff; every failure is counted in
``DocumentFailure``; ``render_missing_documents`` (beat) re-enqueues forms whose event has no
PDF yet — a lost enqueue, a broker outage — until ``DOCUMENTS_MAX_ATTEMPTS`` failures, after
which the failure row stays as the record.
"""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

logger = logging.getLogger(__name__)


def backoff(retries: int) -> int:
    """30 s, 60 s, 120 s … capped at 30 min (below the broker's visibility timeout)."""
    return min(30 * 2**retries, 1800)


def max_attempts() -> int:
    return int(getattr(settings, "DOCUMENTS_MAX_ATTEMPTS", 5))


def register() -> None:
    """Nothing to do: importing this module registered its tasks (called by hooks.install)."""


@shared_task(
    bind=True,
    acks_late=True,
    max_retries=10,
    name="dossiers.document_tasks.render_event_document",
)
def render_event_document(self, event_id: int, kind: str | None = None) -> int | None:
    """Render the form ``event_id`` issues (Mẫu 01–04); the document's id, or None."""
    from dossiers.documents import services

    try:
        document = services.render_for_event(event_id, kind)
    except Exception as exc:
        attempts = services.record_failure(event_id, kind, exc)
        if self.request.is_eager or attempts >= max_attempts():
            logger.error("Rendering %s for event %s failed (%s attempts): %r",
                         kind, event_id, attempts, exc)  # fmt: skip
            return None
        raise self.retry(countdown=backoff(self.request.retries), exc=exc) from exc
    return document.pk if document is not None else None


@shared_task(acks_late=True, name="dossiers.document_tasks.render_missing_documents")
def render_missing_documents(older_than_minutes: int = 5, days: int = 7, limit: int = 500) -> int:
    """Beat sweep: enqueue the forms of recent events that still have no PDF."""
    from dossiers.documents.forms_registry import FORM_FOR_ACTION
    from dossiers.models import DossierEvent
    from dossiers.models_documents import DocumentFailure, GeneratedDocument

    now = timezone.now()
    cutoff = now - datetime.timedelta(days=days)
    # Ids grow with time: the newest event older than the window bounds the scan (an index
    # walk backwards over the recent events only, not a scan of the whole history).
    floor = (
        DossierEvent.objects.filter(at__lt=cutoff).order_by("-pk").values_list("pk", flat=True)
    ).first() or 0
    enqueued = 0
    for action, kind in FORM_FOR_ACTION.items():
        done = GeneratedDocument.objects.filter(kind=kind, source_event__gt=floor).values(
            "source_event_id"
        )
        given_up = DocumentFailure.objects.filter(kind=kind, attempts__gte=max_attempts()).values(
            "source_event_id"
        )
        pending = (
            DossierEvent.objects.filter(
                pk__gt=floor,
                action=action,
                at__lte=now - datetime.timedelta(minutes=older_than_minutes),
            )
            .exclude(pk__in=done)
            .exclude(pk__in=given_up)
            .order_by("pk")
            .values_list("pk", flat=True)[: max(limit - enqueued, 0)]
        )
        for event_id in pending:
            render_event_document.delay(event_id, str(kind))
            enqueued += 1
    return enqueued
