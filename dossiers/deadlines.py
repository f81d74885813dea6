"""Deadlines in working time (domain.md "Deadlines").

* The appointment (``due_at``) comes from the procedure version's channel — the online channel
  for online dossiers, the postal one for postal dossiers when it exists, the direct channel
  otherwise — counted by the working calendar (``portal.worktime``) from the moment of intake.
* Online dossiers: the clock starts at intake (status 2); intake itself must happen within
  ``DOSSIER_INTAKE_WORKING_HOURS`` (default 8) working hours of submission.
* Statuses 5, 6 and 8 stop the clock; on leaving them the stopped working time is added to the
  appointment, to the legal appointment and to the current step's deadline.
* Early / on time / late compares the DATE of return with the DATE of the legal appointment
  (``original_due_at``: the appointment given at intake plus stopped time). An apology (Mẫu 04)
  moves ``due_at`` to a new date but does not turn a late dossier into an on-time one.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Literal

from django.conf import settings
from django.utils import timezone

from dossiers.models import PAUSED_STATUSES, RUNNING_STATUSES, Dossier, FilingChannel, Status

Timeliness = Literal["early", "on_time", "late"]


def get_calendar():
    from portal.worktime import get_calendar as _get_calendar

    return _get_calendar()


def intake_hours() -> Decimal:
    return Decimal(str(getattr(settings, "DOSSIER_INTAKE_WORKING_HOURS", 8)))


def channel_for(version, channel: str):
    """The catalog channel whose processing time applies to a dossier filed via ``channel``."""
    channels = {c.kind: c for c in version.channels.all()}
    if channel == FilingChannel.ONLINE:
        order = ["online", "direct", "postal"]
    elif channel == FilingChannel.POSTAL:
        order = ["postal", "direct", "online"]
    else:
        order = ["direct", "online", "postal"]
    return next((channels[kind] for kind in order if kind in channels), None)


def appointment(version, channel: str, start: datetime.datetime) -> datetime.datetime | None:
    """The appointment for a dossier received at ``start`` (None: the catalog gives no time)."""
    catalog_channel = channel_for(version, channel)
    if catalog_channel is None:
        return None
    return get_calendar().due_at(
        start, Decimal(catalog_channel.processing_time), catalog_channel.time_unit
    )


def intake_deadline(submitted_at: datetime.datetime) -> datetime.datetime:
    return get_calendar().add_working_hours(submitted_at, intake_hours())


def start_clock(dossier: Dossier, at: datetime.datetime) -> None:
    """Set the appointment at intake (status 2)."""
    due = appointment(dossier.procedure_version, dossier.channel, at)
    dossier.received_at = at
    dossier.due_at = due
    dossier.original_due_at = due
    dossier.step_due_at = due


def pause(dossier: Dossier, at: datetime.datetime) -> None:
    if dossier.paused_at is None:
        dossier.paused_at = at


def resume(dossier: Dossier, at: datetime.datetime) -> Decimal:
    """Add the stopped working time to the deadlines; returns the hours added."""
    if dossier.paused_at is None:
        return Decimal("0")
    calendar = get_calendar()
    hours = Decimal(calendar.working_hours_between(dossier.paused_at, at))
    hours = max(hours, Decimal("0"))
    if hours:
        for field in ("due_at", "original_due_at", "step_due_at"):
            value = getattr(dossier, field)
            if value is not None:
                setattr(dossier, field, calendar.add_working_hours(value, hours))
        dossier.paused_hours = (dossier.paused_hours or Decimal("0")) + hours.quantize(
            Decimal("0.01")
        )
    dossier.paused_at = None
    return hours


def end_of_working_day(day: datetime.date) -> datetime.datetime | None:
    """The last working moment of ``day`` (None when ``day`` is not a working day)."""
    calendar = get_calendar()
    if not calendar.is_working_day(day):
        return None
    midnight = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    start = calendar.next_working_moment(midnight)
    if timezone.localdate(start) != day:
        return None
    end = calendar.add_working_hours(start, Decimal(str(calendar.hours_per_day)))
    if timezone.localdate(end) != day:
        # The calendar carried the boundary over to the next morning: stay on ``day``.
        end = timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59)))
    return end


def _local_date(value: datetime.datetime) -> datetime.date:
    return timezone.localdate(value)


def timeliness(dossier: Dossier, at: datetime.datetime | None = None) -> Timeliness | None:
    """Early / on time / late by date of return (or of ``at``) against the legal appointment."""
    appointment_at = dossier.original_due_at or dossier.due_at
    done = at or dossier.returned_at or dossier.completed_at
    if appointment_at is None or done is None:
        return None
    done_day, due_day = _local_date(done), _local_date(appointment_at)
    if done_day < due_day:
        return "early"
    if done_day == due_day:
        return "on_time"
    return "late"


def is_overdue(dossier: Dossier, now: datetime.datetime | None = None) -> bool:
    """Mirrors ``DossierQuerySet.overdue``."""
    now = now or timezone.now()
    if dossier.status == Status.SUBMITTED:
        return dossier.intake_due_at is not None and dossier.intake_due_at < now
    if dossier.due_at is None:
        return False
    if dossier.status in RUNNING_STATUSES:
        return dossier.due_at < now
    if dossier.status in PAUSED_STATUSES:
        return dossier.paused_at is not None and dossier.due_at < dossier.paused_at
    return False


def is_due_soon(dossier: Dossier, now: datetime.datetime, working_hours: Decimal) -> bool:
    """True when the appointment falls within ``working_hours`` of ``now`` (or has passed)."""
    if dossier.due_at is None:
        return False
    return dossier.due_at <= get_calendar().add_working_hours(now, working_hours)
