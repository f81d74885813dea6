"""Applying the carrier's status reports (webhook or reconciliation) to shipments.

``apply_report`` appends the report to the shipment's history exactly once (``event_id`` is
unique: a replay is a no-op) and moves the status only forward (``models.RANK``). Effects of a
move happen in the same transaction: a delivered result completes the dossier's ``return``
(status 10) through ``dossiers.workflow.transition`` as the postal service account; a failed
or returned parcel alerts the desk.
"""

from __future__ import annotations

import datetime
import enum
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.errors import DossierError, NotFound, ValidationError
from dossiers.models import Status
from postal.alerts import error_text, raise_alert
from postal.carriers import CarrierError, get_carrier
from postal.models import (
    RANK,
    AlertKind,
    Direction,
    EventSource,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)
from postal.system_actor import system_actor_for

logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    #: Recorded in the history, status unchanged (older than or equal to the current one).
    NOT_APPLIED = "ignored"
    #: The same event_id was seen before: nothing stored, nothing changed.
    DUPLICATE = "duplicate"


def _when(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M %d/%m/%Y")


@transaction.atomic
def apply_report(
    *,
    waybill: str,
    status: str,
    occurred_at: datetime.datetime,
    event_id: str,
    note: str = "",
    source: str = EventSource.WEBHOOK,
) -> tuple[Outcome, Shipment | None]:
    """Record one report; NotFound when no shipment has this waybill (nothing stored)."""
    if ShipmentEvent.objects.filter(event_id=event_id).exists():
        return Outcome.DUPLICATE, None
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("dossier")
        .filter(waybill=waybill)
        .first()
    )
    if shipment is None:
        raise NotFound(_("Không có bưu gửi nào mang số vận đơn này."))
    moves = not shipment.is_terminal and RANK[status] > RANK[shipment.status]
    try:
        with transaction.atomic():
            ShipmentEvent.objects.create(
                shipment=shipment,
                event_id=event_id,
                status=status,
                occurred_at=occurred_at,
                note=note[:500],
                source=source,
                applied=moves,
            )
    except IntegrityError:  # the same event delivered twice at the same moment
        return Outcome.DUPLICATE, shipment
    if shipment.last_event_at is None or occurred_at > shipment.last_event_at:
        shipment.last_event_at = occurred_at
    if not moves:
        shipment.save(update_fields=["last_event_at", "updated_at"])
        return Outcome.NOT_APPLIED, shipment
    shipment.status = status
    if status == ShipmentStatus.FAILED:
        shipment.failure_reason = note[:500] or _("Không rõ lý do")
    if status == ShipmentStatus.DELIVERED:
        shipment.delivered_at = occurred_at
    shipment.save()
    _effects(shipment, occurred_at, note)
    return Outcome.APPLIED, shipment


def _effects(shipment: Shipment, occurred_at: datetime.datetime, note: str) -> None:
    dossier = shipment.dossier
    if shipment.status == ShipmentStatus.DELIVERED and shipment.direction == Direction.DELIVERY:
        complete_return(shipment, occurred_at)
    elif shipment.status == ShipmentStatus.FAILED:
        message = (
            _("Bưu chính phát kết quả hồ sơ %(code)s không thành công lúc %(at)s: %(reason)s")
            if shipment.direction == Direction.DELIVERY
            else _("Bưu chính không thu gom được hồ sơ %(code)s lúc %(at)s: %(reason)s")
        )
        raise_alert(
            dossier,
            AlertKind.DELIVERY_FAILED,
            message
            % {"code": dossier.code, "at": _when(occurred_at), "reason": shipment.failure_reason},
            agency_id=shipment.agency_id,
            shipment=shipment,
        )
    elif shipment.status == ShipmentStatus.RETURNED:
        raise_alert(
            dossier,
            AlertKind.RETURNED,
            _("Bưu gửi %(waybill)s của hồ sơ %(code)s đã được chuyển hoàn về người gửi.")
            % {"waybill": shipment.waybill, "code": dossier.code},
            agency_id=shipment.agency_id,
            shipment=shipment,
        )


def complete_return(shipment: Shipment, occurred_at: datetime.datetime) -> None:
    """The result reached the citizen: take the dossier's ``return`` action (9 → 10).

    The core's transition stamps the history with the moment it runs (it takes no time from
    the caller), so the carrier's delivery time goes into the note and ``delivered_at``."""
    from dossiers.workflow import transition

    dossier = shipment.dossier
    if dossier.status == Status.RETURNED:
        return
    note = _("Bưu chính phát thành công lúc %(at)s (vận đơn %(waybill)s).") % {
        "at": _when(occurred_at),
        "waybill": shipment.waybill,
    }
    try:
        with transaction.atomic():
            actor = system_actor_for(dossier.returning_agency)
            transition(dossier.pk, "return", actor, method="post", note=note)
    except (DossierError, ValidationError) as exc:
        raise_alert(
            dossier,
            AlertKind.RETURN_NOT_RECORDED,
            _("Kết quả hồ sơ %(code)s đã phát thành công nhưng chưa ghi nhận trả được: %(error)s")
            % {"code": dossier.code, "error": error_text(exc)},
            agency_id=shipment.agency_id,
            shipment=shipment,
        )


# --- reconciliation -------------------------------------------------------------------------


def overdue_after() -> datetime.timedelta:
    return datetime.timedelta(hours=float(getattr(settings, "POSTAL_WEBHOOK_OVERDUE_HOURS", 24)))


def overdue_shipments(now: datetime.datetime, limit: int = 200):
    """In-flight shipments with no report (and no poll) for ``POSTAL_WEBHOOK_OVERDUE_HOURS``."""
    cutoff = now - overdue_after()
    return (
        Shipment.objects.in_flight()
        .filter(Q(last_event_at__lt=cutoff) | Q(last_event_at__isnull=True))
        .filter(Q(polled_at__lt=cutoff) | Q(polled_at__isnull=True))
        .order_by("last_event_at", "id")[:limit]
    )


def poll_event_id(waybill: str, status: str, occurred_at: datetime.datetime) -> str:
    """Deterministic, so polling the same unchanged status twice stores it once."""
    return f"poll:{waybill}:{status}:{int(occurred_at.timestamp() * 1000)}"


def reconcile(now: datetime.datetime | None = None) -> dict[str, int]:
    """Ask the carrier for the status of every overdue shipment and apply what it says."""
    now = now or timezone.now()
    counts = {"polled": 0, "applied": 0, "errors": 0}
    for shipment in list(overdue_shipments(now)):
        Shipment.objects.filter(pk=shipment.pk).update(polled_at=now)
        counts["polled"] += 1
        try:
            report = get_carrier(shipment.carrier).fetch_status(shipment.waybill)
        except CarrierError as exc:
            counts["errors"] += 1
            logger.warning(
                "postal reconcile: %s for %s: %s", shipment.carrier, shipment.waybill, exc
            )
            continue
        try:
            outcome, _shipment = apply_report(
                waybill=shipment.waybill,
                status=report.status,
                occurred_at=report.occurred_at,
                event_id=poll_event_id(shipment.waybill, report.status, report.occurred_at),
                note=report.note,
                source=EventSource.RECONCILE,
            )
        except (DossierError, KeyError) as exc:
            counts["errors"] += 1
            logger.warning("postal reconcile: cannot apply %r: %r", report, exc)
            continue
        counts["applied"] += outcome == Outcome.APPLIED
    return counts
