"""The payment gateway interface: what the portal needs from any payment provider — the
national payment platform (Nền tảng thanh toán trực tuyến của Cổng Dịch vụ công quốc gia,
PayGov), a bank, or a commercial gateway (VNPay, MoMo, ZaloPay …). docs/payments.md explains
where such an adapter plugs in.

Four calls; the network ones have a timeout (``PAYMENT_GATEWAY_TIMEOUT`` seconds):

- ``start(order)`` registers a payment of ``order.amount_vnd`` under ``order.reference`` and
  returns the URL the payer's browser is sent to. Idempotent on the reference.
- ``parse_return(query)`` reads the parameters the gateway appends to our return URL when it
  sends the payer back; it verifies their signature (``SignatureInvalid`` otherwise).
- ``parse_webhook(body, headers)`` reads a server-to-server notification (IPN); it verifies
  the signature over the raw body and its freshness (``SignatureInvalid`` otherwise).
- ``query(reference)`` asks the gateway for the current state of a payment (reconciliation);
  ``UnknownPayment`` when the gateway has never heard of it.

The portal never trusts an outcome that did not pass one of these checks, and compares the
amount the gateway reports with its own. ``GatewayError`` is transient (retry later);
``GatewayRejected`` is final for the request. ``tests/payments/test_gateway_contract.py`` runs
the same tests on every registered adapter.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Outcome = Literal["succeeded", "failed", "pending", "expired"]
OUTCOMES: frozenset[str] = frozenset({"succeeded", "failed", "pending", "expired"})


class GatewayError(Exception):
    """The gateway could not be reached or failed; the same call may succeed later."""


class GatewayRejected(GatewayError):
    """The gateway refused the request; repeating it will not help."""


class UnknownPayment(GatewayRejected):
    """The gateway has no payment with this reference."""


class SignatureInvalid(Exception):
    """A return or notification that the gateway did not sign (or that was changed since).
    ``reason`` is a short machine-readable word for the audit trail."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class MalformedMessage(Exception):
    """A correctly signed message whose content is not what the gateway documents."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class PaymentOrder:
    reference: str
    amount_vnd: int
    description: str
    return_url: str
    payer_name: str
    expires_at: datetime.datetime


@dataclass(frozen=True)
class StartedPayment:
    redirect_url: str
    gateway_transaction_id: str = ""


@dataclass(frozen=True)
class GatewayResult:
    """What the gateway says about one payment (from a return, a notification or a query)."""

    reference: str
    outcome: Outcome
    amount_vnd: int | None
    gateway_transaction_id: str = ""
    occurred_at: datetime.datetime | None = None
    message: str = ""


@runtime_checkable
class PaymentGateway(Protocol):
    """A payment provider, seen from the portal."""

    name: str
    #: Shown to the payer ("Cổng thanh toán thử nghiệm", "Nền tảng thanh toán quốc gia" …).
    label: str

    def start(self, order: PaymentOrder) -> StartedPayment: ...

    def parse_return(self, query: Mapping[str, str]) -> GatewayResult: ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> GatewayResult: ...

    def query(self, reference: str) -> GatewayResult: ...
