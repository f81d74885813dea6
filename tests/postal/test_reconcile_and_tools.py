"""Reconciliation of shipments whose webhooks are overdue, and the operator tools that drive
the sandbox carrier: the ``advance_shipments`` command (real HTTP to a live server) and the
admin actions."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from postal import sandbox_driver
from postal.carriers import get_carrier
from postal.models import Shipment, ShipmentStatus
from postal.tasks import reconcile_overdue
from tests.postal.conftest import file_postal
from tests.postal.factories import client_sender

pytestmark = pytest.mark.django_db


@pytest.fixture
def pickup(catalog, commit):
    return Shipment.objects.get(dossier=file_postal(catalog, commit))


def age(shipment, hours):
    Shipment.objects.filter(pk=shipment.pk).update(
        last_event_at=timezone.now() - datetime.timedelta(hours=hours)
    )


def test_a_silent_shipment_is_polled_and_updated(pickup):
    get_carrier("sandbox").advance(pickup.waybill, "in_transit")  # the webhooks got lost
    assert reconcile_overdue() == {"polled": 0, "applied": 0, "errors": 0}  # not overdue yet
    age(pickup, 25)
    assert reconcile_overdue() == {"polled": 1, "applied": 1, "errors": 0}
    pickup.refresh_from_db()
    assert pickup.status == ShipmentStatus.IN_TRANSIT
    assert pickup.events.last().source == "reconcile"
    # Polled once per period: the next run leaves it alone.
    assert reconcile_overdue()["polled"] == 0


def test_polling_an_unchanged_status_stores_it_once(pickup):
    age(pickup, 25)
    reconcile_overdue()
    assert list(pickup.events.order_by("id").values_list("source", "status", "applied")) == [
        ("system", "created", True),
        ("reconcile", "created", False),  # what the carrier said, nothing new
    ]
    Shipment.objects.filter(pk=pickup.pk).update(polled_at=None)
    age(pickup, 25)
    assert reconcile_overdue() == {"polled": 1, "applied": 0, "errors": 0}
    assert pickup.events.count() == 2  # the same poll answer is not stored twice


def test_finished_shipments_are_not_polled(pickup, client):
    sandbox_driver.advance(pickup, "delivered", send=client_sender(client))
    age(pickup, 48)
    assert reconcile_overdue()["polled"] == 0


def test_the_command_advances_through_the_real_webhook(pickup, live_server, capsys):
    url = live_server.url + "/api/v1/postal/events/"
    call_command("advance_shipments", "--waybill", pickup.waybill, "--url", url)
    pickup.refresh_from_db()
    assert pickup.status == ShipmentStatus.ACCEPTED
    call_command(
        "advance_shipments", "--waybill", pickup.waybill, "--to", "failed",
        "--note", "Người gửi vắng nhà", "--url", url,
    )  # fmt: skip
    pickup.refresh_from_db()
    assert pickup.status == ShipmentStatus.FAILED
    assert pickup.failure_reason == "Người gửi vắng nhà"
    out = capsys.readouterr().out
    assert "picked_up → HTTP 200" in out and "failed → HTTP 200" in out


def test_the_command_reports_a_refused_webhook(pickup, live_server, settings):
    url = live_server.url + "/api/v1/postal/events/"
    settings.POSTAL_WEBHOOK_SECRET = "a-different-secret-than-the-sandbox-signs-with"
    # The sandbox signs with the same setting, so change it only for the server side.
    from postal import signing

    real_signed = signing.signed_headers
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            sandbox_driver.signing,
            "signed_headers",
            lambda body: real_signed(body, key=b"wrong-key"),
        )
        with pytest.raises(CommandError):
            call_command("advance_shipments", "--waybill", pickup.waybill, "--url", url)
    pickup.refresh_from_db()
    assert pickup.status == ShipmentStatus.CREATED


def test_reports_lost_on_the_way_are_sent_again(pickup, client):
    def lost(body, headers):
        return 503, "portal down"

    sandbox_driver.advance(pickup, "in_transit", send=lost)
    pickup.refresh_from_db()
    assert pickup.status == ShipmentStatus.CREATED  # the post moved on, we never heard
    [resent] = sandbox_driver.advance(pickup, "in_transit", send=client_sender(client))
    assert (resent.status, resent.http_status) == ("in_transit", 200)
    pickup.refresh_from_db()
    assert pickup.status == ShipmentStatus.IN_TRANSIT


def test_the_command_refuses_unknown_waybills(pickup):
    with pytest.raises(CommandError):
        call_command("advance_shipments", "--waybill", "NOPE")


def test_admin_actions_advance_through_the_webhook(pickup, client, monkeypatch):
    from tests.factories import UserFactory

    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    webhook_client = type(client)()
    monkeypatch.setattr(
        sandbox_driver, "http_sender", lambda url=None, timeout=None: client_sender(webhook_client)
    )
    response = client.post(
        "/admin/postal/shipment/",
        {"action": "advance_to_delivered", "_selected_action": [pickup.pk]},
        follow=True,
    )
    assert response.status_code == 200
    pickup.refresh_from_db()
    assert pickup.status == ShipmentStatus.DELIVERED
    assert "Đã gửi 4 sự kiện bưu chính." in response.content.decode()
    assert client.get(f"/admin/postal/shipment/{pickup.pk}/change/").status_code == 200


def test_admin_cancel_refuses_a_collected_parcel(pickup, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    sandbox_driver.advance(pickup, "picked_up", send=client_sender(type(client)()))
    response = client.post(
        "/admin/postal/shipment/",
        {"action": "cancel", "_selected_action": [pickup.pk]},
        follow=True,
    )
    assert "không thể hủy" in response.content.decode()
    pickup.refresh_from_db()
    assert pickup.status == ShipmentStatus.PICKED_UP
