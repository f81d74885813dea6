"""The dossier's history and the signal other apps listen to.

``record_event`` appends one row of the process-control log (electronic Mẫu 05), creates the
applicant's notifications for it, and — once the transaction commits — sends
``dossier_transitioned`` with ``dossier_id``, ``applicant_id`` (the filing citizen's user id,
``None`` for a walk-in applicant without an account), ``action``, ``from_status``, ``to_status``,
``event_id``, ``agency_ids`` (every agency the change involves: before and after, receiving,
returning, deciding), and the dossier's ``channel`` and ``pickup_by_post`` (fixed at filing, so
a receiver needing only those does not read the dossier back). Postal, documents, statistics
and routing connect to that signal, so ``dossiers`` never imports them (architecture.md).
Receivers run after commit and must be idempotent; one failing receiver is logged and does not
stop the others.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from django.db import transaction
from django.dispatch import Signal

from dossiers.models import Dossier, DossierEvent
from portal.db.rows import insert_new

logger = logging.getLogger(__name__)

#: Sent on commit after every recorded event (filing included: action "submit"/"receive").
dossier_transitioned = Signal()

#: While ``announce_many`` sends the signals of a batch: the side effects receivers coalesce.
_coalesced: ContextVar[dict | None] = ContextVar("dossier_events_coalesced", default=None)


def coalesce(flush: Callable[[list], None], item) -> None:
    """For receivers whose side effect is one outside call per event (a Redis round trip):
    ``flush([item])`` at once, or — while the signals of a batch of events are being sent
    (``announce_many``) — once at the end of the batch with the items of every event, in order.
    ``flush`` must be the same object each time (a module-level function) and should not raise;
    a failure is logged."""
    pending = _coalesced.get()
    if pending is None:
        flush([item])
    else:
        pending.setdefault(flush, []).append(item)


def _flush_coalesced(pending: dict) -> None:
    for flush, items in pending.items():
        try:
            with transaction.atomic():
                flush(items)
        except Exception as exc:
            logger.error("coalesced %r failed for %d events: %r", flush, len(items), exc)


def _deliver_signal(**kwargs) -> None:
    """Call each receiver in its own savepoint: one that fails (even with a database error)
    is logged and neither stops nor poisons the others."""
    sync_receivers, _async = dossier_transitioned._live_receivers(Dossier)
    for receiver in sync_receivers:
        try:
            with transaction.atomic():
                receiver(signal=dossier_transitioned, sender=Dossier, **kwargs)
        except Exception as exc:
            logger.error(
                "dossier_transitioned receiver %r failed for event %s: %r",
                receiver,
                kwargs.get("event_id"),
                exc,
                exc_info=True,
            )


def _signal_kwargs(event: DossierEvent) -> dict:
    kwargs = {
        "dossier_id": event.dossier_id,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "event_id": event.pk,
    }
    dossier = event.dossier
    involved = {
        event.from_agency_id,
        event.to_agency_id,
        dossier.current_agency_id,
        dossier.receiving_agency_id,
        dossier.returning_agency_id,
        dossier.deciding_agency_id,
    }
    kwargs["agency_ids"] = sorted(a for a in involved if a)
    kwargs["applicant_id"] = dossier.applicant_id
    kwargs["channel"] = dossier.channel
    kwargs["pickup_by_post"] = dossier.pickup_by_post
    return kwargs


def announce(event: DossierEvent) -> None:
    """Send ``dossier_transitioned`` for ``event`` once the surrounding transaction commits, and
    drop the lists it changes then (``queues.forget_lists_on_commit``)."""
    from dossiers.queues import forget_lists_on_commit

    kwargs = _signal_kwargs(event)
    forget_lists_on_commit(kwargs["agency_ids"], kwargs["applicant_id"])
    # A new dossier (filing: no status before) has nothing cached under its code yet —
    # tracking caches found dossiers only, and a code is never given to a second dossier.
    code = event.dossier.code if event.from_status is not None else None
    transaction.on_commit(lambda: _after_commit(code, kwargs))


def announce_many(events: list[DossierEvent]) -> None:
    """``announce`` for several events of one transaction: one on-commit hook that forgets the
    public tracking entries in one round trip, then sends the signal for each event in order;
    what the receivers ``coalesce`` runs once for the batch after the last signal."""
    if not events:
        return
    from dossiers.queues import forget_lists_on_commit

    codes = [event.dossier.code for event in events]
    signals = [_signal_kwargs(event) for event in events]
    for kwargs in signals:  # one write for the batch (``generations.replace_on_commit``)
        forget_lists_on_commit(kwargs["agency_ids"], kwargs["applicant_id"])

    def after_commit() -> None:
        from dossiers.tracking import forget_many

        forget_many(codes)
        pending: dict = {}
        token = _coalesced.set(pending)
        try:
            for kwargs in signals:
                _deliver_signal(**kwargs)
        finally:
            _coalesced.reset(token)
        _flush_coalesced(pending)

    transaction.on_commit(after_commit)


def _after_commit(code: str | None, kwargs: dict) -> None:
    from dossiers.tracking import forget

    if code is not None:
        forget(code)  # public tracking caches the facts this event changed
    _deliver_signal(**kwargs)


def record_event(
    dossier: Dossier,
    *,
    action: str,
    actor,
    at: datetime.datetime,
    from_status: int | None,
    from_agency_id: int | None,
    note: str = "",
    payload: dict | None = None,
    attachment_ids: Iterable[int] = (),
    is_public: bool = True,
    notify: bool = True,
) -> DossierEvent:
    """Append the history row of a change already applied to ``dossier`` (saved)."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = DossierEvent(
        dossier=dossier,
        at=at,
        actor=actor if authenticated else None,
        actor_name=actor.get_full_name() if authenticated else "",
        action=action,
        from_status=from_status,
        to_status=dossier.status,
        from_agency_id=from_agency_id,
        to_agency_id=dossier.current_agency_id,
        assignee_id=dossier.assignee_id,
        note=note,
        payload=payload or {},
        attachment_ids=sorted(set(attachment_ids)),
        step_due_at=dossier.step_due_at,
        is_public=is_public,
    )
    insert_new([event], signals=True)  # ``create()``'s row and signals, less of its CPU
    if notify:
        from dossiers.notifications import create_for_event

        create_for_event(event, dossier)
    announce(event)
    return event


def record_events(events: list[DossierEvent]) -> list[DossierEvent]:
    """Append several history rows in one INSERT (routing's batched delivery): unsaved
    ``DossierEvent`` objects whose ``dossier`` already carries the change. No notifications
    (``record_event(notify=False)``) and no ``post_save``; the signal is sent for each row."""
    created = DossierEvent.objects.bulk_create(events)
    announce_many(created)
    return created
