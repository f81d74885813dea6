"""The sandbox carrier: a post office that really works in the demo and in tests.

It keeps its own books (``SandboxParcel``), allocates waybills (``SB0000000001VN`` …), and moves
parcels along ``created → accepted → picked_up → in_transit → delivered`` (or ``failed`` and
``returned``) when told to by ``advance`` — the ``advance_shipments`` command and the admin
action. Each move is reported the way a real carrier would: a signed HTTP POST to our own
webhook (``postal.sandbox_driver``), so the demo exercises the whole path.
"""

from __future__ import annotations

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from postal.carriers.base import (
    CarrierRejected,
    CreatedShipment,
    ShipmentRequest,
    StatusReport,
    UnknownWaybill,
)
from postal.models import SandboxParcel, ShipmentStatus

S = ShipmentStatus
HAPPY_PATH = [S.CREATED, S.ACCEPTED, S.PICKED_UP, S.IN_TRANSIT, S.DELIVERED]
FINAL = frozenset({S.DELIVERED, S.RETURNED, S.CANCELLED})
NOTES = {
    S.ACCEPTED: "Bưu cục đã nhận yêu cầu",
    S.PICKED_UP: "Bưu tá đã lấy hàng",
    S.IN_TRANSIT: "Đang vận chuyển",
    S.DELIVERED: "Phát thành công",
    S.FAILED: "Phát không thành công: người nhận vắng nhà",
    S.RETURNED: "Đã chuyển hoàn về người gửi",
}


def path_to(current: str, target: str | None) -> list[str]:
    """The statuses a parcel passes through from ``current`` to ``target`` (next one if None)."""
    if current in FINAL:
        return []
    if target is None:
        if current == S.FAILED:
            return [S.DELIVERED]
        return [HAPPY_PATH[HAPPY_PATH.index(current) + 1]]
    if target == current:
        return []
    if target in HAPPY_PATH and current in HAPPY_PATH:
        start, end = HAPPY_PATH.index(current), HAPPY_PATH.index(target)
        if end > start:
            return HAPPY_PATH[start + 1 : end + 1]
    if target == S.FAILED and current != S.FAILED:
        return [*path_to(current, S.IN_TRANSIT), S.FAILED]
    if target == S.RETURNED:
        return [*path_to(current, S.FAILED), S.RETURNED]
    if target == S.DELIVERED and current == S.FAILED:
        return [S.DELIVERED]
    raise CarrierRejected(f"Sandbox parcel cannot go from {current} to {target}.")


class SandboxCarrier:
    name = "sandbox"

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        for party in (request.sender, request.receiver):
            if not party.name or not party.street or not party.commune_code:
                raise CarrierRejected("Sandbox: sender and receiver need a name and an address.")
        existing = SandboxParcel.objects.filter(reference=request.reference).first()
        if existing is None:
            try:
                now = timezone.now()
                with transaction.atomic():
                    existing = SandboxParcel.objects.create(
                        reference=request.reference,
                        order_number=request.order_number,
                        status=S.CREATED,
                        status_at=now,
                        created_at=now,
                    )
                    existing.waybill = f"SB{existing.pk:010d}VN"
                    existing.save(update_fields=["waybill"])
            except IntegrityError:  # the same reference booked concurrently
                existing = SandboxParcel.objects.get(reference=request.reference)
        return CreatedShipment(waybill=existing.waybill, created_at=existing.created_at)

    def _parcel(self, waybill: str, *, lock: bool = False) -> SandboxParcel:
        queryset = SandboxParcel.objects.select_for_update() if lock else SandboxParcel.objects
        parcel = queryset.filter(waybill=waybill).first() if waybill else None
        if parcel is None:
            raise UnknownWaybill(f"Sandbox: unknown waybill {waybill!r}.")
        return parcel

    def cancel(self, waybill: str) -> None:
        with transaction.atomic():
            parcel = self._parcel(waybill, lock=True)
            if parcel.status == S.CANCELLED:
                return
            if parcel.status not in (S.CREATED, S.ACCEPTED):
                raise CarrierRejected("Sandbox: the parcel has already been collected.")
            parcel.status, parcel.status_at, parcel.note = S.CANCELLED, timezone.now(), ""
            parcel.save(update_fields=["status", "status_at", "note"])

    def fetch_status(self, waybill: str) -> StatusReport:
        parcel = self._parcel(waybill)
        return StatusReport(
            waybill=parcel.waybill,
            status=parcel.status,
            occurred_at=parcel.status_at,
            note=parcel.note,
        )

    # --- the sandbox's own controls (not part of the carrier interface) ---

    def advance(self, waybill: str, to: str | None = None, note: str = "") -> list[StatusReport]:
        """Move the parcel to the next status (or through to ``to``); the reports to send."""
        with transaction.atomic():
            parcel = self._parcel(waybill, lock=True)
            steps = path_to(parcel.status, to)
            now = timezone.now()
            reports = []
            for index, status in enumerate(steps):
                at = now + datetime.timedelta(milliseconds=index)
                text = note if (note and index == len(steps) - 1) else NOTES.get(status, "")
                reports.append(StatusReport(parcel.waybill, status, at, text))
            if reports:
                last = reports[-1]
                parcel.status, parcel.status_at, parcel.note = (
                    last.status,
                    last.occurred_at,
                    last.note,
                )
                parcel.save(update_fields=["status", "status_at", "note"])
        return reports
