"""The gateway's webhook refuses what it cannot trust — a changed amount or signature, a stale
timestamp, an unknown transaction, a body it does not understand — each with a reason and an
audit line, never a changed transaction and never a moved dossier."""

from __future__ import annotations

import json
import logging
import time

import pytest

from dossiers.models import DossierEvent, Status
from dossiers.models_payments import PaymentAuditEntry, PaymentStatus
from dossiers.payments import services
from dossiers.payments.gateways import sandbox
from tests.payments.factories import WEBHOOK_URL, file_online, post_webhook, signed_webhook

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_at_gateway(catalog):
    """A dossier whose fee the payer paid at the sandbox; the webhook has not arrived yet."""
    dossier = file_online(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    sandbox.decide(payment.reference, "succeeded")
    return dossier, payment


def untouched(dossier, payment) -> None:
    payment.refresh_from_db()
    dossier.refresh_from_db()
    assert payment.status == PaymentStatus.INITIATED
    assert (dossier.status, dossier.paid_online) == (Status.SUBMITTED, False)
    assert not DossierEvent.objects.filter(dossier=dossier, action="confirm-payment").exists()


def test_a_correct_notification_is_applied(paid_at_gateway):
    dossier, payment = paid_at_gateway
    response = post_webhook(*signed_webhook(payment.reference))
    assert response.status_code == 200
    assert response.json() == {
        "result": "applied",
        "reference": payment.reference,
        "status": "succeeded",
    }


def test_an_amount_changed_after_signing_is_refused(paid_at_gateway, caplog):
    dossier, payment = paid_at_gateway
    caplog.set_level(logging.WARNING, logger="dossiers.payments.security")
    body, headers = signed_webhook(payment.reference)
    tampered = body.replace(b'"amount": 100000', b'"amount": 1000')
    assert tampered != body
    response = post_webhook(tampered, headers)
    assert response.status_code == 401
    assert response.json() == {"detail": "Chữ ký không hợp lệ."}
    untouched(dossier, payment)
    line = PaymentAuditEntry.objects.get(kind="refused_signature")
    assert (line.note, line.reference, line.payment) == ("bad_signature", payment.reference, None)
    assert "bad_signature" in caplog.text


@pytest.mark.parametrize(
    ("case", "headers", "reason"),
    [
        ("unsigned", {}, "missing"),
        ("no signature", {"X-Sandbox-Timestamp": str(int(time.time()))}, "missing"),
        ("garbage timestamp", {"X-Sandbox-Timestamp": "hôm qua", "X-Sandbox-Signature": "x"}, None),
    ],
)
def test_unsigned_notifications_are_refused(paid_at_gateway, case, headers, reason):
    dossier, payment = paid_at_gateway
    body, _signed = signed_webhook(payment.reference)
    response = post_webhook(body, headers)
    assert response.status_code == 401
    untouched(dossier, payment)
    line = PaymentAuditEntry.objects.get(kind="refused_signature")
    assert reason is None or line.note == reason


def test_a_notification_signed_with_another_key_is_refused(paid_at_gateway):
    dossier, payment = paid_at_gateway
    payload = json.dumps({"reference": payment.reference, "status": "succeeded", "amount": 100000})
    body = payload.encode()
    response = post_webhook(body, sandbox.signed_headers(body, key=b"guessed-secret"))
    assert response.status_code == 401
    untouched(dossier, payment)


def test_a_replayed_old_notification_is_refused(paid_at_gateway):
    dossier, payment = paid_at_gateway
    body, _headers = signed_webhook(payment.reference)
    old = sandbox.signed_headers(body, timestamp=int(time.time()) - 3600)
    assert post_webhook(body, old).status_code == 401
    untouched(dossier, payment)
    assert PaymentAuditEntry.objects.get(kind="refused_signature").note == "stale"


def test_a_correctly_signed_other_amount_is_refunded_not_applied(paid_at_gateway):
    dossier, payment = paid_at_gateway
    body = json.dumps(
        {
            "reference": payment.reference,
            "status": "succeeded",
            "amount": 1000,
            "transaction_id": "SBXOTHER",
        }
    ).encode()
    response = post_webhook(body, sandbox.signed_headers(body))
    assert response.status_code == 409
    assert "không khớp" in response.json()["detail"]
    payment.refresh_from_db()
    dossier.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert (dossier.status, dossier.paid_online) == (Status.SUBMITTED, False)
    line = PaymentAuditEntry.objects.get(payment=payment, kind="amount_mismatch")
    assert line.data == {"reported_vnd": 1000, "expected_vnd": 100000}


def test_an_unknown_transaction_is_refused_with_an_audit_line(paid_at_gateway):
    dossier, payment = paid_at_gateway
    body = json.dumps(
        {"reference": "TT250303FFFFFFFFFFFF", "status": "succeeded", "amount": 100000}
    ).encode()
    response = post_webhook(body, sandbox.signed_headers(body))
    assert response.status_code == 404
    assert response.json()["detail"] == "Không tìm thấy giao dịch thanh toán."
    untouched(dossier, payment)
    line = PaymentAuditEntry.objects.get(kind="unknown_transaction")
    assert line.reference == "TT250303FFFFFFFFFFFF" and line.payment is None


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        json.dumps({"reference": "", "status": "succeeded", "amount": 1}).encode(),
        json.dumps({"reference": "TT1", "status": "maybe", "amount": 1}).encode(),
        json.dumps({"reference": "TT1", "status": "succeeded", "amount": "-5"}).encode(),
        json.dumps({"reference": "TT1", "status": "succeeded", "amount": True}).encode(),
        json.dumps({"reference": "TT\u00001", "status": "succeeded", "amount": 1}).encode(),
    ],
)
def test_signed_nonsense_is_refused_as_malformed(paid_at_gateway, payload):
    dossier, payment = paid_at_gateway
    response = post_webhook(payload, sandbox.signed_headers(payload))
    assert response.status_code == 400
    assert response.json()["detail"]
    untouched(dossier, payment)
    assert PaymentAuditEntry.objects.filter(kind="refused_malformed").count() == 1


def test_oversized_bodies_and_unknown_gateways_are_refused(client, paid_at_gateway):
    dossier, payment = paid_at_gateway
    big = b"{" + b" " * 20_000 + b"}"
    response = post_webhook(big, sandbox.signed_headers(big))
    assert response.status_code == 413
    response = client.post(
        "/api/v1/payments/webhook/vnpay/", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["detail"]
    untouched(dossier, payment)


def test_the_webhook_takes_no_session_and_no_csrf(paid_at_gateway, catalog):
    from django.test import Client

    dossier, payment = paid_at_gateway
    client = Client(enforce_csrf_checks=True)
    client.force_login(catalog.citizen)
    body, headers = signed_webhook(payment.reference)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    response = client.post(WEBHOOK_URL, data=body, content_type="application/json", **extra)
    assert response.status_code == 200
