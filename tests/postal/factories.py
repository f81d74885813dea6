"""Factories and helpers of the postal tests: a small unit tree, a postal-eligible catalog with
its desk's postal address, signed webhook calls through the test client, and shipments."""

from __future__ import annotations

import json

import factory
from django.utils import timezone

from portal.models import UnitLevel
from postal import signing
from postal.models import AgencyPostalAddress, Direction, Shipment, ShipmentStatus, TariffZone
from tests.dossiers.factories import Catalog, DossierFactory
from tests.factories import UnitFactory

EVENTS_URL = "/api/v1/postal/events/"


class Units:
    """Lâm Đồng (68) › Đà Lạt (672) › Phường 4, Phường 1; Bảo Lộc (673) › Phường 1 (a
    namesake); Hà Nội (01) › Ba Đình (001) › Phường Phúc Xá."""

    def __init__(self):
        self.province = UnitFactory(code="68", name="Tỉnh Lâm Đồng", level=UnitLevel.PROVINCE)
        self.dalat = UnitFactory(
            code="672", name="Thành phố Đà Lạt", level=UnitLevel.DISTRICT, parent=self.province
        )
        self.baoloc = UnitFactory(
            code="673", name="Thành phố Bảo Lộc", level=UnitLevel.DISTRICT, parent=self.province
        )
        self.phuong4 = UnitFactory(code="24760", name="Phường 4", parent=self.dalat)
        self.phuong1 = UnitFactory(code="24763", name="Phường 1", parent=self.dalat)
        self.baoloc1 = UnitFactory(code="24820", name="Phường 1", parent=self.baoloc)
        self.hanoi = UnitFactory(code="01", name="Thành phố Hà Nội", level=UnitLevel.PROVINCE)
        self.badinh = UnitFactory(
            code="001", name="Quận Ba Đình", level=UnitLevel.DISTRICT, parent=self.hanoi
        )
        self.phucxa = UnitFactory(code="00001", name="Phường Phúc Xá", parent=self.badinh)


class PostalCatalog(Catalog):
    """A postal-eligible procedure whose desk (in Đà Lạt, Phường 4) declared its address."""

    def __init__(self, units: Units, **version_fields):
        version_fields.setdefault("postal_eligible", True)
        super().__init__(**version_fields)
        self.units = units
        self.agency.unit = units.dalat
        self.agency.save(update_fields=["unit"])
        AgencyPostalAddress.objects.create(
            agency=self.agency, street="36 Trần Phú", commune=units.phuong4, phone="02633822222"
        )


POSTAL_DATA = {
    "applicant_address": "5 Lê Hồng Phong, Phường 1, Thành phố Đà Lạt",
    "result_delivery": "post",
    "delivery_address": "12 Hai Bà Trưng, Phường 1, Đà Lạt, Lâm Đồng",
    "pickup_by_post": True,
}


def event_payload(shipment_or_waybill, status: str, **overrides) -> dict:
    waybill = getattr(shipment_or_waybill, "waybill", shipment_or_waybill)
    payload = {
        "event_id": f"evt-{waybill}-{status}-{timezone.now().timestamp()}",
        "waybill": waybill,
        "status": status,
        "occurred_at": timezone.localtime().isoformat(),
        "note": "",
    }
    payload.update(overrides)
    return payload


def post_signed(
    client,
    payload=None,
    *,
    body: bytes | None = None,
    timestamp=None,
    key=None,
    headers: dict | None = None,
):
    """POST ``payload`` (or raw ``body``) to the webhook, signed as the carrier does."""
    if body is None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    signed = signing.signed_headers(body, timestamp=timestamp, key=key)
    if headers is not None:
        signed = headers
    return client.post(EVENTS_URL, data=body, content_type="application/json", headers=signed)


def client_sender(client):
    """A sandbox ``send`` that goes through the Django test client (same bytes, same view)."""

    def send(body: bytes, headers: dict) -> tuple[int, str]:
        response = client.post(
            EVENTS_URL, data=body, content_type="application/json", headers=headers
        )
        return response.status_code, response.content.decode()

    return send


class ShipmentFactory(factory.django.DjangoModelFactory):
    """A shipment written directly (no carrier), with a waybill unless pending."""

    class Meta:
        model = Shipment

    class Params:
        units = None
        pending = factory.Trait(status=ShipmentStatus.PENDING_CREATION, waybill=None)

    dossier = factory.SubFactory(
        DossierFactory,
        result_ready=True,
        result_delivery="post",
        delivery_address="12 Hai Bà Trưng, Phường 1, Đà Lạt",
        procedure_version__postal_eligible=True,
    )
    direction = Direction.DELIVERY
    agency = factory.SelfAttribute("dossier.returning_agency")
    carrier = "sandbox"
    waybill = factory.Sequence(lambda n: f"TW{n:010d}VN")
    order_number = factory.SelfAttribute("dossier.code")
    status = ShipmentStatus.CREATED
    sender_name = factory.SelfAttribute("agency.name")
    sender_street = "36 Trần Phú"
    sender_commune = factory.SubFactory(UnitFactory)
    receiver_name = factory.SelfAttribute("dossier.applicant_name")
    receiver_phone = factory.SelfAttribute("dossier.applicant_phone")
    receiver_street = "12 Hai Bà Trưng"
    receiver_commune = factory.SelfAttribute("sender_commune")
    tariff_zone = TariffZone.LOCAL
    postage_vnd = 20_000
    collect_vnd = 20_000
    handover_date = factory.LazyFunction(timezone.localdate)
    last_event_at = factory.LazyFunction(timezone.now)
