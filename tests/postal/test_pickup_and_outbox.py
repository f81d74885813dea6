"""Pickup by post: filing online with the choice creates a pickup shipment through the outbox
(a pending row, then the carrier call on the ``postal`` queue), retried when the carrier fails."""

import datetime

import pytest
from django.utils import timezone

from dossiers.models import FilingChannel, Status
from dossiers.workflow import transition
from postal import listeners, services
from postal.models import (
    AlertKind,
    Direction,
    SandboxParcel,
    Shipment,
    ShipmentAlert,
    ShipmentStatus,
)
from postal.tasks import create_shipment, sweep_outbox
from tests.dossiers.factories import applicant_data, pdf
from tests.postal.conftest import file_postal

pytestmark = pytest.mark.django_db


class FlakyCarrier:
    """Fails ``failures`` times, then books like the sandbox (contract-compatible)."""

    failures = 0
    calls = 0

    def __init__(self):
        from postal.carriers.sandbox import SandboxCarrier

        self._sandbox = SandboxCarrier()

    def create_shipment(self, request):
        type(self).calls += 1
        if type(self).failures > 0:
            type(self).failures -= 1
            from postal.carriers import CarrierError

            raise CarrierError("timeout talking to the carrier")
        return self._sandbox.create_shipment(request)

    def cancel(self, waybill):
        return self._sandbox.cancel(waybill)

    def fetch_status(self, waybill):
        return self._sandbox.fetch_status(waybill)


@pytest.fixture
def flaky(settings):
    settings.POSTAL_CARRIERS = {
        "sandbox": "postal.carriers.sandbox.SandboxCarrier",
        "flaky": "tests.postal.test_pickup_and_outbox.FlakyCarrier",
    }
    settings.POSTAL_CARRIER = "flaky"
    FlakyCarrier.failures, FlakyCarrier.calls = 0, 0
    return FlakyCarrier


def test_online_filing_with_pickup_books_a_pickup_shipment(catalog, commit, units):
    dossier = file_postal(catalog, commit)
    shipment = Shipment.objects.get(dossier=dossier)
    assert shipment.direction == Direction.PICKUP
    assert shipment.status == ShipmentStatus.CREATED
    assert shipment.waybill.startswith("SB") and shipment.waybill.endswith("VN")
    assert shipment.order_number == dossier.code
    assert shipment.agency == catalog.agency
    # The citizen sends, the desk receives; both addresses down to the commune.
    assert shipment.sender_name == "Nguyễn Thị Hoà"
    assert shipment.sender_commune == units.phuong1  # Đà Lạt's, not Bảo Lộc's namesake
    assert shipment.receiver_commune == units.phuong4
    assert shipment.receiver_street == "36 Trần Phú"
    # Same district: local postage; the post also collects the procedure's fees.
    assert shipment.tariff_zone == "local"
    assert shipment.postage_vnd == 20_000
    assert shipment.collect_vnd == shipment.postage_vnd + dossier.fee_vnd
    assert shipment.handover_date == timezone.localdate()
    assert [e.status for e in shipment.events.all()] == ["created"]
    assert SandboxParcel.objects.get(waybill=shipment.waybill).order_number == dossier.code


def test_the_outbox_row_is_written_before_the_carrier_is_called(catalog):
    dossier = file_postal(catalog)  # nothing runs on commit: the listener never fired
    assert not Shipment.objects.exists()
    services.ensure_shipment(dossier, Direction.PICKUP)  # the listener's work, no commit
    shipment = Shipment.objects.get(dossier=dossier)
    assert shipment.status == ShipmentStatus.PENDING_CREATION
    assert shipment.waybill is None
    assert create_shipment(shipment.pk) == "created"
    assert create_shipment(shipment.pk) == "done"  # a redelivered message changes nothing
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CREATED and shipment.attempts == 1


def test_listener_is_idempotent(catalog, commit):
    dossier = file_postal(catalog, commit)
    with commit():
        transition(dossier.code, "receive", catalog.desk)  # pickup is checked again
    listeners.on_dossier_transitioned(
        None, dossier_id=dossier.pk, action="receive", from_status=1, to_status=2
    )
    assert Shipment.objects.filter(dossier=dossier).count() == 1


def test_listener_ignores_events_that_keep_the_status(django_assert_num_queries):
    """Hand-overs, forwards and assignments keep the status: no query, nothing made (routing
    delivers thousands of hand-overs)."""
    with django_assert_num_queries(0):
        listeners.on_dossier_transitioned(
            None, dossier_id=0, action="handover", from_status=2, to_status=2
        )
    assert not Shipment.objects.exists()


def test_carrier_outage_is_retried_with_backoff_then_succeeds(catalog, commit, flaky):
    flaky.failures = 2
    dossier = file_postal(catalog, commit)
    shipment = Shipment.objects.get(dossier=dossier)
    assert shipment.status == ShipmentStatus.PENDING_CREATION
    assert shipment.attempts == 1
    assert "timeout" in shipment.last_error
    assert shipment.next_attempt_at > timezone.now()
    assert sweep_outbox()["enqueued"] == 0  # not due yet
    Shipment.objects.filter(pk=shipment.pk).update(next_attempt_at=timezone.now())
    sweep_outbox()
    shipment.refresh_from_db()
    assert shipment.attempts == 2 and shipment.status == ShipmentStatus.PENDING_CREATION
    Shipment.objects.filter(pk=shipment.pk).update(next_attempt_at=timezone.now())
    sweep_outbox()
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CREATED
    assert shipment.attempts == 3 and shipment.last_error == ""
    assert flaky.calls == 3


def test_after_the_last_attempt_the_desk_is_alerted(catalog, commit, flaky, settings):
    settings.POSTAL_CREATE_MAX_ATTEMPTS = 2
    flaky.failures = 5
    dossier = file_postal(catalog, commit)
    Shipment.objects.update(next_attempt_at=timezone.now())
    sweep_outbox()
    shipment = Shipment.objects.get(dossier=dossier)
    assert shipment.attempts == 2 and shipment.next_attempt_at is None
    alert = ShipmentAlert.objects.get(dossier=dossier)
    assert alert.kind == AlertKind.CREATION_FAILED and alert.agency == catalog.agency
    sweep_outbox()
    assert flaky.calls == 2  # given up: no more calls


def test_a_lost_enqueue_is_picked_up_by_the_sweep(catalog):
    dossier = file_postal(catalog)
    services.ensure_shipment(dossier, Direction.PICKUP)  # on_commit never ran: no task
    shipment = Shipment.objects.get(dossier=dossier)
    assert sweep_outbox()["enqueued"] == 0  # younger than two minutes: the task may be queued
    Shipment.objects.filter(pk=shipment.pk).update(
        created_at=timezone.now() - datetime.timedelta(minutes=3)
    )
    assert sweep_outbox()["enqueued"] == 1
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.CREATED


def test_a_lost_dossier_signal_is_repaired_by_the_sweep(catalog):
    dossier = file_postal(catalog)  # the signal never reached postal
    assert listeners.missing_shipments() == [(dossier.pk, Direction.PICKUP)]
    assert sweep_outbox()["repaired"] == 1
    assert Shipment.objects.get(dossier=dossier).direction == Direction.PICKUP
    assert listeners.missing_shipments() == []


def test_walk_in_dossiers_are_not_collected(catalog, commit):
    from dossiers.filing import file_dossier

    with commit():
        dossier = file_dossier(
            procedure_code=catalog.code,
            applicant_user=None,
            data=applicant_data(pickup_by_post=True),
            files={"to-khai": [pdf()]},
            channel=FilingChannel.DIRECT,
            actor=catalog.desk,
        )
    assert dossier.status == Status.RECEIVED
    assert not Shipment.objects.exists()


def test_refusal_cancels_the_pickup_at_the_carrier(catalog, commit):
    dossier = file_postal(catalog, commit)
    with commit():
        transition(dossier.code, "refuse", catalog.desk, reason="Sai thủ tục")
    shipment = Shipment.objects.get(dossier=dossier)
    assert shipment.status == ShipmentStatus.CANCELLED
    assert SandboxParcel.objects.get(waybill=shipment.waybill).status == "cancelled"
    assert [e.status for e in shipment.events.all()] == ["created", "cancelled"]


def test_an_unrecognised_address_alerts_the_desk_and_creates_nothing(catalog, commit):
    dossier = file_postal(catalog, commit, applicant_address="Thôn 3, xã Không Có, Lâm Đồng")
    assert not Shipment.objects.exists()
    alert = ShipmentAlert.objects.get(dossier=dossier)
    assert alert.kind == AlertKind.ADDRESS
    assert "danh mục đơn vị hành chính" in alert.message


def test_the_accounts_commune_completes_the_applicants_own_address(catalog, commit, units):
    profile = catalog.citizen.citizen_profile
    profile.unit = units.phuong4
    profile.save(update_fields=["unit"])
    dossier = file_postal(catalog, commit, applicant_address="Hẻm 12, đường Ba Tháng Hai")
    shipment = Shipment.objects.get(dossier=dossier)
    assert shipment.sender_commune == units.phuong4
    assert shipment.sender_street == "Hẻm 12, đường Ba Tháng Hai"
