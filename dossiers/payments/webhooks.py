"""The gateways' server-to-server notifications (IPN): ``POST /api/v1/payments/webhook/<gateway>/``.

Every answer is JSON. The adapter of ``<gateway>`` verifies the signature over the raw body and
its freshness before anything is read from it; then ``services.settle`` applies the report,
idempotently. Refusals, each with one audit line (``PaymentAuditEntry``) and one log line on
``dossiers.payments.security`` — never a changed transaction, never a moved dossier:

| answer | when |
| --- | --- |
| 401 | signature missing, wrong, or a stale timestamp (replay) |
| 400 | signed, but not a message the gateway documents |
| 404 | unknown gateway, or a payment we never started |
| 409 | the amount differs from the transaction's (a success is then marked for refund) |
| 413 | body larger than ``PAYMENTS_WEBHOOK_MAX_BYTES`` |
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from dossiers.errors import DossierError
from dossiers.payments import services
from dossiers.payments.gateways import (
    MalformedMessage,
    SignatureInvalid,
    get_gateway,
    is_registered,
)

security_log = logging.getLogger("dossiers.payments.security")


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict


def max_bytes() -> int:
    return int(getattr(settings, "PAYMENTS_WEBHOOK_MAX_BYTES", 16 * 1024))


def too_large() -> Answer:
    return Answer(413, {"detail": _("Nội dung thông báo quá lớn.")})


def _claimed_reference(body: bytes) -> str:
    """The reference an unverified body claims (for the audit line only; never trusted)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    value = data.get("reference") if isinstance(data, dict) else None
    return str(value).replace("\x00", "")[:100] if value is not None else ""


def _refuse(kind: str, reason: str, gateway: str, body: bytes, remote: str) -> None:
    reference = _claimed_reference(body)
    security_log.warning(
        "payment webhook refused: gateway=%s reason=%s reference=%r remote=%s bytes=%d",
        gateway,
        reason,
        reference,
        remote,
        len(body),
    )
    services.audit(
        kind,
        source="webhook",
        reference=reference,
        note=reason,
        data={"gateway": gateway[:32], "bytes": len(body)},
        remote=remote,
    )


def handle(
    gateway_name: str, body: bytes, headers: Mapping[str, str], *, remote: str = ""
) -> Answer:
    if not is_registered(gateway_name):
        return Answer(404, {"detail": _("Cổng thanh toán không tồn tại.")})
    if len(body) > max_bytes():
        return too_large()
    gateway = get_gateway(gateway_name)
    try:
        result = gateway.parse_webhook(body, headers)
    except SignatureInvalid as exc:
        _refuse("refused_signature", exc.reason, gateway_name, body, remote)
        return Answer(401, {"detail": _("Chữ ký không hợp lệ.")})
    except MalformedMessage as exc:
        _refuse("refused_malformed", exc.reason, gateway_name, body, remote)
        return Answer(400, {"detail": _("Nội dung thông báo không hợp lệ."), "reason": exc.reason})
    try:
        settlement = services.settle(
            result, gateway_name=gateway_name, source="webhook", remote=remote
        )
    except DossierError as exc:
        security_log.warning(
            "payment webhook refused: gateway=%s reason=%s reference=%r remote=%s",
            gateway_name,
            type(exc).__name__,
            result.reference,
            remote,
        )
        return Answer(exc.status_code, {"detail": exc.message})
    payment = settlement.payment
    return Answer(
        200,
        {"result": settlement.result, "reference": payment.reference, "status": payment.status},
    )
