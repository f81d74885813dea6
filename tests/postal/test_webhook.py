"""The carrier webhook: signed over the raw body, fresh, once per event id, forward only —
and every bad call refused with a reason, nothing stored."""

import json
import logging
import time

import pytest

from postal.models import Shipment, ShipmentEvent, ShipmentStatus
from tests.postal.factories import EVENTS_URL, ShipmentFactory, event_payload, post_signed

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment(db):
    return ShipmentFactory()


def unchanged(shipment, status=ShipmentStatus.CREATED, events=0):
    shipment.refresh_from_db()
    assert shipment.status == status
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == events


def test_a_signed_event_moves_the_shipment(client, shipment):
    payload = event_payload(shipment, "accepted", note="Bưu cục Đà Lạt đã nhận")
    response = post_signed(client, payload)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "result": "applied",
        "event_id": payload["event_id"],
        "status": "accepted",
    }
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.ACCEPTED
    event = shipment.events.get()
    assert (event.status, event.note, event.source, event.applied) == (
        "accepted",
        "Bưu cục Đà Lạt đã nhận",
        "webhook",
        True,
    )


@pytest.mark.parametrize(
    ("case", "headers"),
    [
        ("unsigned", {}),
        ("no timestamp", {"X-Postal-Signature": "sha256=00"}),
        ("no signature", {"X-Postal-Timestamp": str(int(time.time()))}),
        ("garbage timestamp", {"X-Postal-Timestamp": "yesterday", "X-Postal-Signature": "x"}),
    ],
)
def test_unsigned_calls_are_refused_and_logged(client, shipment, caplog, case, headers):
    caplog.set_level(logging.WARNING, logger="postal.security")
    response = post_signed(client, event_payload(shipment, "accepted"), headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"]
    unchanged(shipment)
    lines = [r for r in caplog.records if r.name == "postal.security"]
    assert len(lines) == 1 and "refused" in lines[0].getMessage()


def test_a_wrong_key_is_refused(client, shipment, caplog):
    caplog.set_level(logging.WARNING, logger="postal.security")
    response = post_signed(client, event_payload(shipment, "accepted"), key=b"guessed-secret")
    assert response.status_code == 401
    assert response.json() == {"detail": "Chữ ký không hợp lệ."}
    unchanged(shipment)
    assert "bad_signature" in caplog.text


def test_a_body_changed_after_signing_is_refused(client, shipment):
    body = json.dumps(event_payload(shipment, "accepted")).encode()
    from postal.signing import signed_headers

    headers = signed_headers(body)
    tampered = body.replace(b"accepted", b"delivered")
    response = client.post(
        EVENTS_URL, data=tampered, content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    unchanged(shipment)


def test_the_signature_covers_the_raw_bytes_not_the_parsed_json(client, shipment):
    """Re-serialising the same JSON differently (spaces) breaks the signature."""
    payload = event_payload(shipment, "accepted")
    signed_body = json.dumps(payload).encode()
    from postal.signing import signed_headers

    headers = signed_headers(signed_body)
    other_bytes = json.dumps(payload, indent=2).encode()
    response = client.post(
        EVENTS_URL, data=other_bytes, content_type="application/json", headers=headers
    )
    assert response.status_code == 401


@pytest.mark.parametrize("skew", [-301, 301, -3600])
def test_a_stale_timestamp_is_refused(client, shipment, caplog, skew):
    caplog.set_level(logging.WARNING, logger="postal.security")
    response = post_signed(
        client, event_payload(shipment, "accepted"), timestamp=int(time.time()) + skew
    )
    assert response.status_code == 401
    assert "5 phút" in response.json()["detail"]
    unchanged(shipment)
    assert "stale" in caplog.text


def test_a_timestamp_within_five_minutes_is_accepted(client, shipment):
    response = post_signed(
        client, event_payload(shipment, "accepted"), timestamp=int(time.time()) - 290
    )
    assert response.status_code == 200


def test_a_replayed_event_is_ignored(client, shipment):
    payload = event_payload(shipment, "accepted")
    assert post_signed(client, payload).status_code == 200
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.CREATED)  # tamper
    again = post_signed(client, payload)
    assert again.status_code == 200
    assert again.json()["result"] == "duplicate"
    unchanged(shipment, ShipmentStatus.CREATED, events=1)  # the replay did not re-apply


def test_out_of_order_events_never_move_the_shipment_backwards(client, shipment):
    post_signed(client, event_payload(shipment, "in_transit"))
    late = post_signed(client, event_payload(shipment, "accepted"))
    assert late.status_code == 200
    assert late.json()["result"] == "ignored"
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert list(shipment.events.values_list("status", "applied")) == [
        ("in_transit", True),
        ("accepted", False),
    ]


def test_nothing_moves_a_delivered_shipment(client, shipment):
    post_signed(client, event_payload(shipment, "delivered"))
    for status in ("failed", "returned", "cancelled", "in_transit"):
        assert post_signed(client, event_payload(shipment, status)).json()["result"] == "ignored"
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED


def test_a_failed_attempt_may_still_end_delivered(client, shipment):
    post_signed(client, event_payload(shipment, "failed", note="Vắng nhà"))
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.FAILED and shipment.failure_reason == "Vắng nhà"
    post_signed(client, event_payload(shipment, "delivered"))
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.DELIVERED


def test_an_unknown_waybill_is_404_with_a_reason(client, shipment):
    response = post_signed(client, event_payload("SB9999999999VN", "accepted"))
    assert response.status_code == 404
    assert response.json() == {"detail": "Không có bưu gửi nào mang số vận đơn này."}
    assert not ShipmentEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"not json", "detail"),
        (b"\xff\xfe\x00", "detail"),
        (b"[1, 2]", "detail"),
        (b"{}", "event_id"),
        (json.dumps({"event_id": "e1", "waybill": "W", "status": "teleported",
                     "occurred_at": "2025-03-03T08:00:00+07:00"}).encode(), "status"),
        (json.dumps({"event_id": "e1", "waybill": "W", "status": "accepted",
                     "occurred_at": "2025-03-03T08:00:00"}).encode(), "occurred_at"),
        (json.dumps({"event_id": "e1", "waybill": "W", "status": "accepted",
                     "occurred_at": "hôm qua"}).encode(), "occurred_at"),
        (json.dumps({"event_id": "e1", "waybill": "W\x00", "status": "accepted",
                     "occurred_at": "2025-03-03T08:00:00+07:00"}).encode(), "waybill"),
        (json.dumps({"event_id": 5, "waybill": "W", "status": "accepted",
                     "occurred_at": "2025-03-03T08:00:00+07:00"}).encode(), "event_id"),
        (json.dumps({"event_id": "e" * 101, "waybill": "W", "status": "accepted",
                     "occurred_at": "2025-03-03T08:00:00+07:00"}).encode(), "event_id"),
        (json.dumps({"event_id": "e1", "waybill": "W", "status": "accepted",
                     "occurred_at": "2999-01-01T00:00:00+07:00"}).encode(), "occurred_at"),
    ],
)  # fmt: skip
def test_malformed_bodies_are_400_with_the_reason(client, shipment, body, field):
    response = post_signed(client, body=body)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not ShipmentEvent.objects.exists()


def test_an_oversized_body_is_413(client, shipment, settings):
    settings.POSTAL_WEBHOOK_MAX_BYTES = 1000
    payload = event_payload(shipment, "accepted", note="x" * 2000)
    response = post_signed(client, payload)
    assert response.status_code == 413
    assert not ShipmentEvent.objects.exists()


def test_only_post_is_allowed(client):
    response = client.get(EVENTS_URL)
    assert response.status_code == 405
    assert "detail" in response.json()


def test_the_development_secret_is_refused_in_production(client, shipment, settings):
    settings.DEBUG, settings.TESTING = False, False
    settings.POSTAL_WEBHOOK_SECRET = "dev-postal-secret"
    response = post_signed(client, event_payload(shipment, "accepted"))
    assert response.status_code == 503
    unchanged(shipment)


def test_an_unexpected_failure_is_503_never_500(client, shipment, monkeypatch):
    from postal import webhooks

    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(webhooks, "apply_report", boom)
    response = post_signed(client, event_payload(shipment, "accepted"))
    assert response.status_code == 503
    assert "gửi lại" in response.json()["detail"]
