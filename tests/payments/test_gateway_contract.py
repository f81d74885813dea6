"""The contract every payment gateway adapter passes (architecture.md rule 6).

Each registered adapter needs a *driver* here: how a payer completes a payment at that gateway
and how the gateway's genuine return parameters and notification look. A new adapter (the
national payment platform, a bank, a commercial gateway) adds its driver — usually against the
provider's own test environment — and then runs the same tests.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.utils import timezone

from dossiers.payments.gateways import (
    GatewayRejected,
    MalformedMessage,
    PaymentGateway,
    PaymentOrder,
    SignatureInvalid,
    UnknownPayment,
    gateway_names,
    get_gateway,
    sandbox,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Driver:
    pay: Callable[[str, str], None]
    return_query: Callable[[str], dict]
    notification: Callable[[str], tuple[bytes, dict]]
    resign: Callable[[bytes], dict]


def _sandbox_notification(reference: str) -> tuple[bytes, dict]:
    payment = sandbox.SandboxPayment.objects.get(reference=reference)
    body = sandbox.webhook_body(payment)
    return body, sandbox.signed_headers(body)


DRIVERS = {
    "sandbox": Driver(
        pay=lambda reference, outcome: sandbox.decide(reference, outcome),
        return_query=lambda reference: sandbox.return_params(
            sandbox.SandboxPayment.objects.get(reference=reference)
        ),
        notification=_sandbox_notification,
        resign=sandbox.signed_headers,
    ),
}


@pytest.fixture(params=sorted(set(gateway_names()) | set(DRIVERS)))
def gateway(request) -> tuple[PaymentGateway, Driver]:
    name = request.param
    if name not in DRIVERS:
        pytest.fail(f"Gateway {name!r} is registered but has no contract-test driver.")
    return get_gateway(name), DRIVERS[name]


def order(reference: str = "TT250303CONTRACT01", amount: int = 150_000) -> PaymentOrder:
    return PaymentOrder(
        reference=reference,
        amount_vnd=amount,
        description="Thanh toán phí, lệ phí hồ sơ H36.30-250303-0001",
        return_url=f"{settings.PORTAL_BASE_URL}/payments/return/sandbox/",
        payer_name="Nguyễn Thị Hoà",
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )


def test_it_implements_the_interface(gateway):
    adapter, _driver = gateway
    assert isinstance(adapter, PaymentGateway)
    assert adapter.name and adapter.label


def test_start_gives_a_redirect_and_is_idempotent_on_the_reference(gateway):
    adapter, _driver = gateway
    first = adapter.start(order())
    again = adapter.start(order())
    assert first.redirect_url
    assert (again.redirect_url, again.gateway_transaction_id) == (
        first.redirect_url,
        first.gateway_transaction_id,
    )
    with pytest.raises(GatewayRejected):
        adapter.start(order(amount=1))


def test_a_started_payment_is_pending_and_an_unknown_one_is_unknown(gateway):
    adapter, _driver = gateway
    adapter.start(order())
    result = adapter.query("TT250303CONTRACT01")
    assert (result.outcome, result.amount_vnd) == ("pending", 150_000)
    with pytest.raises(UnknownPayment):
        adapter.query("TT250303NOSUCHTHING")


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_query_return_and_notification_agree_on_the_outcome(gateway, outcome):
    adapter, driver = gateway
    started = adapter.start(order())
    driver.pay("TT250303CONTRACT01", outcome)

    queried = adapter.query("TT250303CONTRACT01")
    returned = adapter.parse_return(driver.return_query("TT250303CONTRACT01"))
    notified = adapter.parse_webhook(*driver.notification("TT250303CONTRACT01"))
    for result in (queried, returned, notified):
        assert result.reference == "TT250303CONTRACT01"
        assert result.outcome == outcome
        assert result.amount_vnd == 150_000
        assert result.gateway_transaction_id == started.gateway_transaction_id


def test_a_changed_return_parameter_is_refused(gateway):
    adapter, driver = gateway
    adapter.start(order())
    driver.pay("TT250303CONTRACT01", "failed")
    query = driver.return_query("TT250303CONTRACT01")
    for key, value in (("status", "succeeded"), ("amount", "1000")):
        with pytest.raises(SignatureInvalid):
            adapter.parse_return({**query, key: value})
    with pytest.raises(SignatureInvalid):
        adapter.parse_return({k: v for k, v in query.items() if k != "signature"})


def test_a_changed_notification_is_refused_and_nonsense_is_malformed(gateway):
    adapter, driver = gateway
    adapter.start(order())
    driver.pay("TT250303CONTRACT01", "failed")
    body, headers = driver.notification("TT250303CONTRACT01")
    with pytest.raises(SignatureInvalid):
        adapter.parse_webhook(body.replace(b"failed", b"succeeded"), headers)
    with pytest.raises(SignatureInvalid):
        adapter.parse_webhook(body, {})
    nonsense = json.dumps({"reference": "TT250303CONTRACT01", "status": "paid?"}).encode()
    with pytest.raises(MalformedMessage):
        adapter.parse_webhook(nonsense, driver.resign(nonsense))


def test_the_gateway_refuses_to_take_an_expired_payment(gateway, monkeypatch):
    adapter, driver = gateway
    adapter.start(order())
    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert adapter.query("TT250303CONTRACT01").outcome == "expired"
    with pytest.raises(GatewayRejected):
        driver.pay("TT250303CONTRACT01", "succeeded")
