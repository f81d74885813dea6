"""The contract every carrier adapter passes (architecture.md rule 6), run over the registry:
add an adapter to POSTAL_CARRIERS and these tests run against it too."""

import uuid

import pytest

from postal.carriers import (
    Carrier,
    CarrierRejected,
    CreatedShipment,
    ShipmentRequest,
    StatusReport,
    UnknownWaybill,
    carrier_names,
    get_carrier,
)
from postal.carriers.base import Party
from postal.models import CARRIER_STATUSES

pytestmark = pytest.mark.django_db

CITIZEN = Party("Nguyễn Thị Hoà", "0912345678", "5 Lê Hồng Phong", "24763", "Phường 1", "Lâm Đồng")
DESK = Party("UBND Phường 4", "02633822222", "36 Trần Phú", "24760", "Phường 4", "Lâm Đồng")


def booking(**overrides) -> ShipmentRequest:
    fields = {
        "reference": uuid.uuid4().hex,
        "order_number": "H36.30-250303-0001",
        "direction": "delivery",
        "sender": DESK,
        "receiver": CITIZEN,
        "collect_vnd": 20_000,
    }
    fields.update(overrides)
    return ShipmentRequest(**fields)


@pytest.fixture(params=carrier_names())
def carrier(request) -> Carrier:
    return get_carrier(request.param)


def test_it_implements_the_interface(carrier):
    assert isinstance(carrier, Carrier)
    assert carrier.name in carrier_names()


def test_create_allocates_a_waybill(carrier):
    created = carrier.create_shipment(booking())
    assert isinstance(created, CreatedShipment)
    assert isinstance(created.waybill, str) and 0 < len(created.waybill) <= 40
    assert created.created_at.tzinfo is not None


def test_create_is_idempotent_on_the_reference(carrier):
    request = booking()
    first = carrier.create_shipment(request)
    assert carrier.create_shipment(request).waybill == first.waybill
    assert carrier.create_shipment(booking()).waybill != first.waybill


def test_a_new_parcel_reports_a_known_status(carrier):
    created = carrier.create_shipment(booking())
    report = carrier.fetch_status(created.waybill)
    assert isinstance(report, StatusReport)
    assert report.waybill == created.waybill
    assert report.status in CARRIER_STATUSES
    assert report.occurred_at.tzinfo is not None


def test_an_uncollected_parcel_can_be_cancelled_once_or_twice(carrier):
    created = carrier.create_shipment(booking())
    carrier.cancel(created.waybill)
    carrier.cancel(created.waybill)  # idempotent
    assert carrier.fetch_status(created.waybill).status == "cancelled"


def test_unknown_waybills_are_reported_as_such(carrier):
    with pytest.raises(UnknownWaybill):
        carrier.fetch_status("NO-SUCH-WAYBILL")
    with pytest.raises(UnknownWaybill):
        carrier.cancel("NO-SUCH-WAYBILL")


def test_a_booking_without_an_address_is_rejected(carrier):
    nowhere = Party("Nguyễn Thị Hoà", "0912345678", "", "", "", "")
    with pytest.raises(CarrierRejected):
        carrier.create_shipment(booking(receiver=nowhere))


def test_the_registry_refuses_an_unknown_name():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        get_carrier("pigeon")


def test_the_sandbox_refuses_to_cancel_a_collected_parcel():
    carrier = get_carrier("sandbox")
    created = carrier.create_shipment(booking())
    carrier.advance(created.waybill, "picked_up")
    with pytest.raises(CarrierRejected):
        carrier.cancel(created.waybill)
    assert carrier.fetch_status(created.waybill).status == "picked_up"
