"""Celery tasks of inter-level routing, and the periodic deadline work they run.

Queues (settings ``CELERY_TASK_ROUTES``): everything here goes to ``routing``; deliveries go to
``routing.<level>`` instead when ``ROUTING_QUEUES_PER_LEVEL`` is on (``routing.queue_for``), so
a province can run one worker per level. Tasks take ids, re-read state and return early when
the work is done (architecture.md rule 5); ``acks_late`` with ``reject_on_worker_lost`` (global
settings) make a killed worker's message come back, and the outbox row makes it harmless.

Beat (``CELERY_BEAT_SCHEDULE``): ``sweep_outbox`` every minute, ``sweep_deadlines`` every five.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone

from dossiers import routing_delivery, routing_sweeper
from dossiers.models import RUNNING_STATUSES, Dossier, Status
from dossiers.models_routing import DeadlineNotice, Handover, HandoverState, NoticeKind
from portal.worktime import get_calendar

#: Database hiccups (a restart, a failover) are retried with backoff; anything else is a bug
#: that retrying would not fix, and the sweeper re-sends the outbox row anyway.
RETRY_ON = (DatabaseError,)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=RETRY_ON,
    max_retries=5,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    name="dossiers.routing_tasks.deliver_handover",
)
def deliver_handover(self, handover_id: int) -> str:
    """Deliver one hand-over (idempotent: see ``routing_delivery.deliver``)."""
    return routing_delivery.deliver(handover_id)


@shared_task(acks_late=True, name="dossiers.routing_tasks.sweep_outbox")
def sweep_outbox(older_than_minutes: float | None = None) -> dict:
    """Beat: re-send hand-overs not delivered after N minutes; record final failures."""
    older = None if older_than_minutes is None else datetime.timedelta(minutes=older_than_minutes)
    return routing_sweeper.sweep_outbox(older)


@shared_task(acks_late=True, name="dossiers.routing_tasks.sweep_deadlines")
def sweep_deadlines() -> dict:
    """Beat: reminders, overdue marks and apology prompts (each at most once)."""
    return mark_deadlines()


# --- the periodic deadline work -------------------------------------------------------------

#: The step of a dossier whose clock runs (the return step too: the result waits at a desk).
STEP_STATUSES = [Status.RECEIVED, Status.PROCESSING, Status.RESULT_READY]
BATCH = 5000


def reminder_hours() -> Decimal:
    return Decimal(str(getattr(settings, "ROUTING_STEP_REMINDER_WORKING_HOURS", 4)))


def apology_prompt_hours() -> Decimal:
    default = getattr(settings, "DOSSIER_APOLOGY_WINDOW_WORKING_HOURS", 8)
    return Decimal(str(getattr(settings, "ROUTING_APOLOGY_PROMPT_WORKING_HOURS", default)))


def _step_notices(kind: str, rows: list[tuple[int, int, int, datetime.datetime]]) -> int:
    DeadlineNotice.objects.bulk_create(
        [
            DeadlineNotice(dossier_id=d, handover_id=h, agency_id=a, kind=kind, due_at=due)
            for h, d, a, due in rows
        ],
        ignore_conflicts=True,
    )
    return len(rows)


def _dossier_notices(kind: str, rows: list[tuple[int, int, datetime.datetime]]) -> int:
    DeadlineNotice.objects.bulk_create(
        [DeadlineNotice(dossier_id=d, agency_id=a, kind=kind, due_at=due) for d, a, due in rows],
        ignore_conflicts=True,
    )
    return len(rows)


def mark_deadlines(now: datetime.datetime | None = None) -> dict[str, int]:
    """One pass of the deadline work; a constant number of queries whatever the data size.

    * remind the holding agency ``ROUTING_STEP_REMINDER_WORKING_HOURS`` before its step's
      deadline (once per step), and mark steps past their deadline (once per step);
    * mark dossiers overdue (``Dossier.objects.overdue``; once per dossier);
    * prompt the holding agency's leader to issue an apology (Mẫu 04) when the appointment is
      within ``ROUTING_APOLOGY_PROMPT_WORKING_HOURS`` and not yet passed (once per dossier).
    """
    now = now or timezone.now()
    calendar = get_calendar()
    remind_before = calendar.add_working_hours(now, reminder_hours())
    apology_before = calendar.add_working_hours(now, apology_prompt_hours())
    steps = Handover.objects.filter(
        state=HandoverState.DELIVERED,
        finished_at__isnull=True,
        dossier__status__in=STEP_STATUSES,
    )
    fields = ("pk", "dossier_id", "to_agency_id", "dossier__step_due_at")
    with transaction.atomic():
        reminders = list(
            steps.filter(
                reminded_at__isnull=True,
                dossier__step_due_at__gt=now,
                dossier__step_due_at__lte=remind_before,
            ).values_list(*fields)[:BATCH]
        )
        Handover.objects.filter(pk__in=[r[0] for r in reminders]).update(reminded_at=now)
        late_steps = list(
            steps.filter(overdue_at__isnull=True, dossier__step_due_at__lte=now).values_list(
                *fields
            )[:BATCH]
        )
        Handover.objects.filter(pk__in=[r[0] for r in late_steps]).update(overdue_at=now)
        result = {
            "step_reminders": _step_notices(NoticeKind.STEP_REMINDER, reminders),
            "overdue_steps": _step_notices(NoticeKind.STEP_OVERDUE, late_steps),
        }
    for kind, queryset in (
        (NoticeKind.OVERDUE, Dossier.objects.overdue(now)),
        (
            NoticeKind.APOLOGY_PROMPT,
            Dossier.objects.filter(
                status__in=RUNNING_STATUSES, due_at__gt=now, due_at__lte=apology_before
            ),
        ),
    ):
        marked = DeadlineNotice.objects.filter(
            dossier_id=OuterRef("pk"), kind=kind, handover__isnull=True
        )
        rows = list(
            queryset.filter(~Exists(marked))
            .annotate(deadline=Coalesce("due_at", "intake_due_at"))
            .order_by("deadline")
            .values_list("pk", "current_agency_id", "deadline")[:BATCH]
        )
        result[kind.value] = _dossier_notices(kind, rows)
    return result
