"""Return URL and webhook in either order, twice, late, concurrently: the dossier moves on exactly
once; a later success after a failure counts; a double payment is marked for refund."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from dossiers.models import DossierEvent, Status
from dossiers.models_payments import (
    PaymentAuditEntry,
    PaymentReceipt,
    PaymentStatus,
    PaymentTransaction,
)
from dossiers.payments import services
from dossiers.payments.gateways import GatewayResult, sandbox
from dossiers.workflow import transition
from tests.payments.factories import (
    file_online,
    level4_catalog,
    post_webhook,
    return_query,
    signed_webhook,
)


def requested(catalog, amount=50_000):
    """A dossier in status 6 (the filing fee already paid), waiting for ``amount``."""
    dossier = file_online(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    sandbox.decide(payment.reference, "succeeded")
    _settle(payment.reference, "succeeded")
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "request-payment", catalog.specialist, amount=amount, reason="Phí")
    return dossier


def _settle(reference: str, outcome: str, amount=None, source="webhook"):
    payment = PaymentTransaction.objects.get(reference=reference)
    result = GatewayResult(reference, outcome, amount or payment.amount_vnd, "")
    return services.settle(result, gateway_name="sandbox", source=source)


def confirmations(dossier) -> int:
    return DossierEvent.objects.filter(
        dossier=dossier, action="confirm-payment", from_status=Status.PAYMENT_REQUESTED
    ).count()


@pytest.mark.django_db
@pytest.mark.parametrize("order", [("webhook", "return"), ("return", "webhook")])
def test_return_and_webhook_in_either_order_move_the_dossier_once(client, catalog, order):
    dossier = requested(catalog)
    reference = services.start_payment(dossier.code, catalog.citizen).payment.reference
    sandbox.decide(reference, "succeeded")
    query = return_query(reference)
    body, headers = signed_webhook(reference)

    client.force_login(catalog.citizen)
    webhook_answers = []
    for channel in order:
        if channel == "webhook":
            webhook_answers.append(post_webhook(body, headers).json()["result"])
        else:
            assert client.get("/payments/return/sandbox/", query).status_code == 302
    # The webhook applies the payment when it comes first, and finds it done when it comes last.
    assert webhook_answers == (["applied"] if order[0] == "webhook" else ["duplicate"])

    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert confirmations(dossier) == 1
    assert PaymentReceipt.objects.filter(payment__reference=reference).count() == 1
    # Twice more each: nothing changes, each repeat leaves an audit line.
    assert post_webhook(body, headers).json()["result"] == "duplicate"
    client.get("/payments/return/sandbox/", query)
    assert confirmations(dossier) == 1
    assert (
        PaymentAuditEntry.objects.filter(payment__reference=reference, kind="repeat").count() == 3
    )


@pytest.mark.django_db
def test_a_later_success_after_a_failure_counts(catalog):
    dossier = requested(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    assert _settle(payment.reference, "failed").result == "failed"
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED

    assert _settle(payment.reference, "succeeded").result == "applied"
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED


@pytest.mark.django_db
def test_a_late_success_after_expiry_counts_and_a_late_failure_never_undoes_a_success(catalog):
    dossier = requested(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    assert _settle(payment.reference, "expired").result == "expired"
    assert _settle(payment.reference, "succeeded").result == "applied"
    assert _settle(payment.reference, "failed").result == "duplicate"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert confirmations(dossier) == 1


@pytest.mark.django_db
def test_a_double_payment_is_marked_for_refund_and_the_dossier_moves_once(catalog):
    dossier = requested(catalog)
    first = services.start_payment(dossier.code, catalog.citizen).payment
    second = services.start_payment(dossier.code, catalog.citizen).payment  # another tab

    assert _settle(first.reference, "succeeded").result == "applied"
    assert _settle(second.reference, "succeeded").result == "refunded"

    second.refresh_from_db()
    assert second.status == PaymentStatus.REFUNDED
    assert "hoàn trả" in second.status_message
    line = PaymentAuditEntry.objects.get(payment=second, kind="refunded")
    assert line.dossier_id == dossier.pk and line.source == "webhook"
    assert not PaymentReceipt.objects.filter(payment=second).exists()
    assert confirmations(dossier) == 1
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING


@pytest.mark.django_db
def test_a_payment_for_a_withdrawn_dossier_is_refunded_not_applied(catalog):
    dossier = requested(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    transition(dossier.code, "withdraw", catalog.citizen, reason="Không cần nữa")
    assert _settle(payment.reference, "succeeded").result == "refunded"
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN
    assert PaymentAuditEntry.objects.filter(payment=payment, kind="refunded").exists()


@pytest.mark.django_db
def test_a_payment_of_an_older_request_for_another_amount_is_refunded(catalog):
    dossier = requested(catalog, amount=50_000)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    transition(dossier.code, "confirm-payment", catalog.desk, receipt_number="BL-QUAY-01")
    transition(dossier.code, "request-payment", catalog.specialist, amount=70_000, reason="Phí")
    assert _settle(payment.reference, "succeeded").result == "refunded"
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED


@pytest.mark.django_db(transaction=True)
def test_two_successes_racing_for_one_due_pay_it_once():
    catalog = level4_catalog()
    dossier = requested(catalog)
    references = [
        services.start_payment(dossier.code, catalog.citizen).payment.reference for _ in range(2)
    ]
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def run(reference: str) -> None:
        try:
            barrier.wait(timeout=10)
            results[reference] = _settle(reference, "succeeded").result
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(ref,)) for ref in references]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == ["applied", "refunded"]
    assert confirmations(dossier) == 1
    assert (
        PaymentTransaction.objects.filter(
            reference__in=references, status=PaymentStatus.SUCCEEDED
        ).count()
        == 1
    )
