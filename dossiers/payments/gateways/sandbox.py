"""The sandbox gateway: a payment provider that lives inside the portal and really works in the
demo and in tests, signing and checking messages exactly as a real one would.

* ``start`` writes the sandbox's own record (``SandboxPayment``) and sends the payer to its page
  ``/payments/sandbox/<reference>/``, where they choose "success" or "failure"
  (``views.sandbox_page`` → ``decide``).
* The decision is then reported twice, like a real gateway does: a signed server-to-server
  notification to our webhook (``deliver_webhook``, in a task after commit: HTTP POST with
  ``X-Sandbox-Timestamp`` and ``X-Sandbox-Signature: sha256=<hex HMAC-SHA256 of timestamp + "."
  + raw body>``), and the payer's browser redirected to our return URL with signed query
  parameters (``signature`` = hex HMAC-SHA256 of the other parameters sorted and URL-encoded).
  The key is ``PAYMENTS_SANDBOX_SECRET``.
* ``query`` answers from the sandbox's books (reconciliation): pending, succeeded, failed, or
  expired once ``expires_at`` has passed without a decision.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from dossiers.models_payments import SandboxPayment, SandboxPaymentStatus
from dossiers.payments.gateways.base import (
    GatewayError,
    GatewayRejected,
    GatewayResult,
    MalformedMessage,
    PaymentOrder,
    SignatureInvalid,
    StartedPayment,
    UnknownPayment,
)
from portal.webhooks import Sender, json_poster

TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
SIGNATURE_HEADER = "X-Sandbox-Signature"
PREFIX = "sha256="
RETURN_FIELDS = ("reference", "status", "amount", "transaction_id", "ts")
MESSAGES = {
    SandboxPaymentStatus.SUCCEEDED: "Giao dịch thành công",
    SandboxPaymentStatus.FAILED: "Giao dịch không thành công: người nộp huỷ hoặc thẻ bị từ chối",
}

# --- signing (one module signs and verifies, so both sides never drift apart) ---------------


def secret() -> bytes:
    return str(getattr(settings, "PAYMENTS_SANDBOX_SECRET", "")).encode("utf-8")


def tolerance_seconds() -> int:
    return int(getattr(settings, "PAYMENTS_WEBHOOK_TOLERANCE_SECONDS", 300))


def _hmac(message: bytes, key: bytes | None) -> str:
    return hmac.new(key or secret(), message, hashlib.sha256).hexdigest()


def sign_body(timestamp: str, body: bytes, key: bytes | None = None) -> str:
    return PREFIX + _hmac(timestamp.encode("ascii") + b"." + body, key)


def signed_headers(body: bytes, *, timestamp: int | None = None, key: bytes | None = None) -> dict:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: sign_body(stamp, body, key)}


def canonical(params: Mapping[str, str]) -> bytes:
    return urlencode(sorted((k, str(params[k])) for k in RETURN_FIELDS)).encode("utf-8")


def sign_params(params: Mapping[str, str], key: bytes | None = None) -> str:
    return _hmac(canonical(params), key)


def _same(expected: str, given: str) -> bool:
    if not given.isascii():
        return False
    # Constant time: the comparison does not tell an attacker how many characters matched.
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("ascii"))


def verify_headers(headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
    timestamp = headers.get(TIMESTAMP_HEADER) or ""
    signature = headers.get(SIGNATURE_HEADER) or ""
    if not timestamp or not signature:
        raise SignatureInvalid("missing")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureInvalid("bad_timestamp")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_seconds():
        raise SignatureInvalid("stale")
    if not _same(sign_body(timestamp, body), signature):
        raise SignatureInvalid("bad_signature")


# --- the sandbox's side: its books, the payer's decision, its messages ----------------------


def new_transaction_id() -> str:
    return f"SBX{secrets.token_hex(8).upper()}"


def _result(payment: SandboxPayment, now: datetime.datetime | None = None) -> GatewayResult:
    now = now or timezone.now()
    if payment.status == SandboxPaymentStatus.PENDING:
        outcome = "expired" if payment.expires_at <= now else "pending"
    else:
        outcome = str(payment.status)
    return GatewayResult(
        reference=payment.reference,
        outcome=outcome,  # type: ignore[arg-type]
        amount_vnd=payment.amount_vnd,
        gateway_transaction_id=payment.transaction_id,
        occurred_at=payment.decided_at,
        message=payment.message,
    )


@transaction.atomic
def decide(reference: str, outcome: str) -> SandboxPayment:
    """The payer's choice on the sandbox page. A payment is decided once; an expired one
    cannot be paid any more (``GatewayRejected``)."""
    if outcome not in (SandboxPaymentStatus.SUCCEEDED, SandboxPaymentStatus.FAILED):
        raise GatewayRejected(f"unknown outcome {outcome!r}")
    payment = SandboxPayment.objects.select_for_update().filter(reference=reference).first()
    if payment is None:
        raise UnknownPayment(reference)
    if payment.status != SandboxPaymentStatus.PENDING:
        return payment
    now = timezone.now()
    if payment.expires_at <= now:
        raise GatewayRejected("expired")
    payment.status = outcome
    payment.message = MESSAGES[outcome]
    payment.decided_at = now
    payment.save(update_fields=["status", "message", "decided_at"])
    return payment


def return_params(payment: SandboxPayment, key: bytes | None = None) -> dict[str, str]:
    params = {
        "reference": payment.reference,
        "status": str(payment.status),
        "amount": str(payment.amount_vnd),
        "transaction_id": payment.transaction_id,
        "ts": str(int(time.time())),
    }
    params["signature"] = sign_params(params, key)
    return params


def return_redirect_url(payment: SandboxPayment) -> str:
    separator = "&" if "?" in payment.return_url else "?"
    return f"{payment.return_url}{separator}{urlencode(return_params(payment))}"


def webhook_body(payment: SandboxPayment) -> bytes:
    result = _result(payment)
    return json.dumps(
        {
            "reference": payment.reference,
            "status": result.outcome,
            "amount": payment.amount_vnd,
            "transaction_id": payment.transaction_id,
            "occurred_at": (payment.decided_at or timezone.now()).isoformat(),
            "message": payment.message,
        },
        ensure_ascii=False,
    ).encode("utf-8")


def webhook_url() -> str:
    configured = getattr(settings, "PAYMENTS_SANDBOX_WEBHOOK_URL", "")
    if configured:
        return configured
    base = str(getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return base + reverse("payments:api-payments-webhook", args=["sandbox"])


def http_sender(url: str | None = None, timeout: float | None = None) -> Sender:
    """POST to ``url`` (default: our own webhook) with a timeout."""
    seconds = timeout or float(getattr(settings, "PAYMENT_GATEWAY_TIMEOUT", 10))
    return json_poster(url or webhook_url(), timeout=seconds, error=GatewayError)


def default_sender() -> Sender:
    """How the sandbox reaches our webhook (tests replace it with one using the test client)."""
    return http_sender()


def deliver_webhook(reference: str, send: Sender | None = None) -> tuple[int, str]:
    """Report a decided payment to our webhook, signed. ``GatewayError`` when unreachable."""
    payment = SandboxPayment.objects.filter(reference=reference).first()
    if payment is None:
        raise UnknownPayment(reference)
    body = webhook_body(payment)
    SandboxPayment.objects.filter(pk=payment.pk).update(
        webhook_attempts=payment.webhook_attempts + 1
    )
    status, text = (send or default_sender())(body, signed_headers(body))
    if status < 500:
        SandboxPayment.objects.filter(pk=payment.pk).update(webhook_delivered_at=timezone.now())
    return status, text


# --- the adapter ----------------------------------------------------------------------------


def _text(data: Mapping, key: str, *, max_length: int = 100) -> str:
    value = data.get(key)
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    if value is None:
        return ""
    value = str(value)
    if "\x00" in value or len(value) > max_length:
        raise MalformedMessage(f"bad_{key}")
    return value.strip()


def _amount(raw) -> int:
    if isinstance(raw, bool):
        raise MalformedMessage("bad_amount")
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw or "").strip()
        if not text.isascii() or not text.isdigit() or len(text) > 16:
            raise MalformedMessage("bad_amount")
        value = int(text)
    if value <= 0:
        raise MalformedMessage("bad_amount")
    return value


class SandboxGateway:
    name = "sandbox"
    label = "Cổng thanh toán thử nghiệm (sandbox)"

    def start(self, order: PaymentOrder) -> StartedPayment:
        payment = SandboxPayment.objects.filter(reference=order.reference).first()
        if payment is None:
            with transaction.atomic():
                payment, _created = SandboxPayment.objects.get_or_create(
                    reference=order.reference,
                    defaults={
                        "transaction_id": new_transaction_id(),
                        "amount_vnd": order.amount_vnd,
                        "description": order.description[:255],
                        "return_url": order.return_url[:500],
                        "created_at": timezone.now(),
                        "expires_at": order.expires_at,
                    },
                )
        if payment.amount_vnd != order.amount_vnd:
            raise GatewayRejected("reference reused with another amount")
        return StartedPayment(
            redirect_url=reverse("payments:sandbox", args=[payment.reference]),
            gateway_transaction_id=payment.transaction_id,
        )

    def parse_return(self, query: Mapping[str, str]) -> GatewayResult:
        params = {key: _text(query, key) for key in (*RETURN_FIELDS, "signature")}
        if not all(params.values()):
            raise SignatureInvalid("missing")
        if not _same(sign_params(params), params["signature"]):
            raise SignatureInvalid("bad_signature")
        return self._result_from(params, params["status"], params["amount"])

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> GatewayResult:
        verify_headers(headers, body)
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise MalformedMessage("not_json") from exc
        if not isinstance(data, dict):
            raise MalformedMessage("not_an_object")
        params = {
            key: _text(data, key) for key in ("reference", "transaction_id", "message", "status")
        }
        result = self._result_from(params, params["status"], data.get("amount"))
        occurred = parse_datetime(_text(data, "occurred_at", max_length=40) or "")
        return GatewayResult(
            reference=result.reference,
            outcome=result.outcome,
            amount_vnd=result.amount_vnd,
            gateway_transaction_id=result.gateway_transaction_id,
            occurred_at=occurred,
            message=params["message"][:255],
        )

    def _result_from(self, params: Mapping[str, str], status: str, amount) -> GatewayResult:
        if not params.get("reference"):
            raise MalformedMessage("bad_reference")
        if status not in {"succeeded", "failed", "pending", "expired"}:
            raise MalformedMessage("bad_status")
        return GatewayResult(
            reference=params["reference"],
            outcome=status,  # type: ignore[arg-type]
            amount_vnd=_amount(amount),
            gateway_transaction_id=params.get("transaction_id", ""),
            message=MESSAGES.get(status, ""),
        )

    def query(self, reference: str) -> GatewayResult:
        payment = SandboxPayment.objects.filter(reference=reference).first()
        if payment is None:
            raise UnknownPayment(reference)
        return _result(payment)
