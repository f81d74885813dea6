"""The desk manifest (bảng kê bàn giao bưu gửi): what a desk hands to the post on a day —
delivery shipments booked that day plus earlier ones the post has not collected yet — and the
pickups the post is bringing in, for the agencies the user works at."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _

from dossiers.errors import NotFound, ValidationError
from portal.models import Agency
from portal.permissions import grants_for
from postal.models import Direction, Shipment, ShipmentAlert, ShipmentStatus

ADDRESS_JOINS = ("sender_commune__parent__parent", "receiver_commune__parent__parent")
AWAITING_COLLECTION = (ShipmentStatus.CREATED, ShipmentStatus.ACCEPTED)
PICKUPS_ON_THE_WAY = (
    ShipmentStatus.CREATED,
    ShipmentStatus.ACCEPTED,
    ShipmentStatus.PICKED_UP,
    ShipmentStatus.IN_TRANSIT,
)


@dataclass
class Manifest:
    day: datetime.date
    agencies: list[Agency]
    deliveries: list[Shipment] = field(default_factory=list)
    pickups: list[Shipment] = field(default_factory=list)
    alerts: list[ShipmentAlert] = field(default_factory=list)

    @property
    def total_collect_vnd(self) -> int:
        return sum(s.collect_vnd for s in self.deliveries)


def parse_day(raw: str | None, today: datetime.date) -> datetime.date:
    if raw in (None, ""):
        return today
    text = str(raw).strip()
    if "\x00" not in text and len(text) <= 10:
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            pass
    raise ValidationError({"date": [_("Ngày không hợp lệ (định dạng YYYY-MM-DD).")]})


def agencies_for(user, code: str | None) -> list[Agency]:
    """The agencies whose manifest ``user`` may see (all staff roles), narrowed by ``code``.
    NotFound when the user works at none of them."""
    grants = grants_for(user)
    queryset = Agency.objects.order_by("code")
    if not grants.is_superuser:
        queryset = queryset.filter(pk__in=grants.agency_ids)
    elif not code:
        queryset = queryset.filter(is_receiving_desk=True)
    if code:
        code = str(code).strip()
        if "\x00" in code or len(code) > 30:
            raise NotFound()
        queryset = queryset.filter(code=code)
    agencies = list(queryset)
    if not agencies or not (grants.is_superuser or grants.agency_ids):
        raise NotFound()
    return agencies


def build(user, day: datetime.date, agency_code: str | None = None) -> Manifest:
    agencies = agencies_for(user, agency_code)
    ids = [a.pk for a in agencies]
    base = Shipment.objects.filter(agency_id__in=ids).select_related(
        "agency", "dossier", *ADDRESS_JOINS
    )
    deliveries = base.filter(direction=Direction.DELIVERY).filter(
        Q(handover_date=day) | Q(handover_date__lt=day, status__in=AWAITING_COLLECTION)
    )
    pickups = base.filter(direction=Direction.PICKUP, status__in=PICKUPS_ON_THE_WAY)
    alerts = (
        ShipmentAlert.objects.open()
        .filter(agency_id__in=ids)
        .select_related("dossier", "shipment")
        .order_by("-created_at", "-id")[:50]
    )
    return Manifest(
        day=day,
        agencies=agencies,
        deliveries=list(deliveries.order_by("agency__code", "handover_date", "id")),
        pickups=list(pickups.order_by("agency__code", "created_at", "id")),
        alerts=list(alerts),
    )
