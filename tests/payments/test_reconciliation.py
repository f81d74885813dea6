"""The beat task settles transactions left "initiated": it asks the gateway, then applies the
answer like a webhook (succeeded / failed), or expires what the gateway still calls pending
after the expiry window; an unreachable gateway is simply tried again next time."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings

from dossiers.models import DossierEvent, Status
from dossiers.models_payments import PaymentStatus, PaymentTransaction
from dossiers.payment_tasks import reconcile_payments
from dossiers.payments import services
from dossiers.payments.gateways import GatewayError, sandbox
from portal.celery import app as celery_app
from tests.payments.factories import file_online

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(catalog, clock):
    dossier = file_online(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    return dossier, payment


def status_of(payment) -> str:
    payment.refresh_from_db()
    return payment.status


def test_a_success_whose_messages_were_lost_is_settled(started, clock):
    dossier, payment = started
    sandbox.decide(payment.reference, "succeeded")  # webhook and return both lost
    assert reconcile_payments.delay().get() == {}  # too recent: left alone
    clock.advance(minutes=16)
    assert reconcile_payments.delay().get() == {"checked": 1, "applied": 1}
    assert status_of(payment) == PaymentStatus.SUCCEEDED
    dossier.refresh_from_db()
    assert dossier.paid_online is True
    assert DossierEvent.objects.filter(dossier=dossier, action="confirm-payment").count() == 1
    assert reconcile_payments.delay().get() == {}  # settled: not looked at again


def test_a_failure_is_settled_as_failed(started, clock):
    _dossier, payment = started
    sandbox.decide(payment.reference, "failed")
    clock.advance(minutes=20)
    assert reconcile_payments.delay().get() == {"checked": 1, "failed": 1}
    assert status_of(payment) == PaymentStatus.FAILED


def test_an_abandoned_payment_expires_after_the_window(started, clock):
    dossier, payment = started
    clock.advance(minutes=30)
    assert reconcile_payments.delay().get() == {"checked": 1, "pending": 1}
    assert status_of(payment) == PaymentStatus.INITIATED
    clock.advance(minutes=31)
    assert reconcile_payments.delay().get() == {"checked": 1, "expired": 1}
    assert status_of(payment) == PaymentStatus.EXPIRED
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED and not dossier.paid_online


def test_an_unreachable_gateway_is_tried_again_later(started, clock, monkeypatch):
    _dossier, payment = started

    def down(self, reference):
        raise GatewayError("timeout")

    monkeypatch.setattr(sandbox.SandboxGateway, "query", down)
    clock.advance(minutes=90)
    assert reconcile_payments.delay().get() == {"checked": 1, "errors": 1}
    payment.refresh_from_db()
    assert (payment.status, payment.reconcile_attempts) == (PaymentStatus.INITIATED, 1)


def test_the_sweep_is_scheduled_and_routed_to_a_worker_queue():
    entry = settings.CELERY_BEAT_SCHEDULE["payments-reconcile"]
    assert entry["task"] == reconcile_payments.name
    router = celery_app.amqp.router

    def queue_of(name: str) -> str:
        return router.route({}, name)["queue"].name

    assert queue_of("dossiers.payment_tasks.reconcile_payments") == "default"
    assert queue_of("dossiers.payment_tasks.deliver_sandbox_webhook") == "default"
    assert queue_of("dossiers.payment_tasks.render_receipt") == "documents"


def test_a_many_transactions_sweep_settles_each_once(catalog, clock):
    payments = []
    for _ in range(3):
        dossier = file_online(catalog)
        payments.append(services.start_payment(dossier.code, catalog.citizen).payment)
    sandbox.decide(payments[0].reference, "succeeded")
    sandbox.decide(payments[1].reference, "failed")
    clock.advance(minutes=16)
    counts = reconcile_payments.delay().get()
    assert counts == {"checked": 3, "applied": 1, "failed": 1, "pending": 1}
    assert sorted(PaymentTransaction.objects.values_list("status", flat=True)) == sorted(
        [PaymentStatus.SUCCEEDED, PaymentStatus.FAILED, PaymentStatus.INITIATED]
    )
    assert datetime.timedelta(minutes=15) < clock.now - payments[2].created_at
