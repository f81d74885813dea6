"""Delivery of the result by post: result ready → a delivery shipment; the carrier's
``delivered`` completes the dossier's return (status 10) as the postal service account; a
failed delivery alerts the returning desk."""

import logging

import pytest

from dossiers.models import DossierEvent, Status
from dossiers.workflow import transition
from portal.models import StaffMembership, User
from postal import sandbox_driver
from postal.models import AlertKind, Direction, Shipment, ShipmentAlert, ShipmentStatus
from tests.dossiers.factories import pdf
from tests.postal.conftest import file_postal
from tests.postal.factories import client_sender, event_payload, post_signed

pytestmark = pytest.mark.django_db


def result_ready(catalog, commit, **filing):
    dossier = file_postal(catalog, commit, **filing)
    with commit():
        transition(dossier.code, "receive", catalog.desk)
        transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
        return transition(
            dossier.code,
            "complete",
            catalog.leader,
            result_summary="Cấp giấy khai sinh",
            result_file=pdf("ket-qua.pdf"),
        )


def delivery_of(dossier) -> Shipment:
    return Shipment.objects.get(dossier=dossier, direction=Direction.DELIVERY)


def test_result_ready_books_a_delivery_to_the_citizen(catalog, commit, units):
    dossier = result_ready(catalog, commit)
    assert dossier.status == Status.RESULT_READY
    shipment = delivery_of(dossier)
    assert shipment.status == ShipmentStatus.CREATED and shipment.waybill
    assert shipment.order_number == dossier.code
    assert shipment.agency == catalog.agency  # the returning desk hands it over
    assert (shipment.sender_name, shipment.sender_commune) == (catalog.agency.name, units.phuong4)
    assert shipment.receiver_street == "12 Hai Bà Trưng, Phường 1, Đà Lạt, Lâm Đồng"
    assert shipment.receiver_commune == units.phuong1
    assert shipment.fees_vnd == 0 and shipment.collect_vnd == shipment.postage_vnd


def test_no_delivery_shipment_when_the_citizen_collects_at_the_desk(catalog, commit):
    dossier = result_ready(catalog, commit, result_delivery="desk", delivery_address="")
    assert not Shipment.objects.filter(dossier=dossier, direction=Direction.DELIVERY).exists()


def test_a_national_address_pays_the_national_tariff(catalog, commit):
    dossier = result_ready(
        catalog, commit, delivery_address="Số 1, Phường Phúc Xá, Ba Đình, Hà Nội"
    )
    shipment = delivery_of(dossier)
    assert shipment.tariff_zone == "national" and shipment.postage_vnd == 38_000


def test_delivered_returns_the_dossier_as_the_postal_system(catalog, commit, client):
    dossier = result_ready(catalog, commit)
    shipment = delivery_of(dossier)
    payload = event_payload(
        shipment, "delivered", occurred_at="2025-03-05T09:15:00+07:00", note="Phát thành công"
    )
    with commit():
        response = post_signed(client, payload)
    assert response.status_code == 200, response.content
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED
    assert dossier.return_method == "post"
    event = DossierEvent.objects.filter(dossier=dossier).last()
    assert event.action == "return"
    assert event.actor.username == "system.postal"
    assert event.actor_name == "Hệ thống – Bưu chính công ích"
    assert "09:15 05/03/2025" in event.note and shipment.waybill in event.note
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED
    assert shipment.delivered_at.isoformat() == "2025-03-05T02:15:00+00:00"


def test_the_system_account_cannot_log_in(catalog, commit, client):
    dossier = result_ready(catalog, commit)
    with commit():
        post_signed(client, event_payload(delivery_of(dossier), "delivered"))
    system = User.objects.get(username="system.postal")
    assert not system.is_active and not system.has_usable_password()
    response = client.post("/accounts/login/", {"username": "system.postal", "password": ""})
    assert "_auth_user_id" not in client.session and response.status_code == 200
    membership = StaffMembership.objects.get(user=system)
    assert (membership.agency, membership.role) == (catalog.agency, "desk")


def test_a_failed_delivery_alerts_the_returning_desk(catalog, commit, client, caplog):
    caplog.set_level(logging.WARNING, logger="postal")
    dossier = result_ready(catalog, commit)
    shipment = delivery_of(dossier)
    post_signed(client, event_payload(shipment, "failed", note="Không liên lạc được người nhận"))
    alert = ShipmentAlert.objects.get(dossier=dossier)
    assert alert.kind == AlertKind.DELIVERY_FAILED
    assert alert.agency == catalog.agency and alert.shipment == shipment
    assert "Không liên lạc được người nhận" in alert.message
    assert "delivery_failed" in caplog.text
    dossier.refresh_from_db()
    assert dossier.status == Status.RESULT_READY  # nothing returned yet


def test_failed_then_returned_to_sender_alerts_again_and_leaves_the_dossier(
    catalog, commit, client
):
    dossier = result_ready(catalog, commit)
    shipment = delivery_of(dossier)
    for status in ("failed", "returned"):
        post_signed(client, event_payload(shipment, status))
    kinds = set(ShipmentAlert.objects.filter(dossier=dossier).values_list("kind", flat=True))
    assert kinds == {AlertKind.DELIVERY_FAILED, AlertKind.RETURNED}
    dossier.refresh_from_db()
    assert dossier.status == Status.RESULT_READY


def test_delivery_after_the_desk_already_returned_changes_nothing_else(catalog, commit, client):
    dossier = result_ready(catalog, commit)
    shipment = delivery_of(dossier)
    transition(dossier.code, "return", catalog.desk, method="desk")
    response = post_signed(client, event_payload(shipment, "delivered"))
    assert response.status_code == 200
    assert DossierEvent.objects.filter(dossier=dossier, action="return").count() == 1
    assert not ShipmentAlert.objects.filter(dossier=dossier).exists()


def test_the_sandbox_reports_every_step_through_the_signed_webhook(catalog, commit, client):
    dossier = result_ready(catalog, commit)
    shipment = delivery_of(dossier)
    with commit():
        sent = sandbox_driver.advance(shipment, "delivered", send=client_sender(client))
    assert [(s.status, s.http_status) for s in sent] == [
        ("accepted", 200),
        ("picked_up", 200),
        ("in_transit", 200),
        ("delivered", 200),
    ]
    shipment.refresh_from_db()
    assert list(shipment.events.values_list("status", flat=True)) == [
        "created", "accepted", "picked_up", "in_transit", "delivered"
    ]  # fmt: skip
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED
