"""The catalog's fee, due at filing for level-4 procedures: what is due when, the intake release,
and the fee requested at intake when the citizen had not paid."""

from __future__ import annotations

import pytest

from dossiers.errors import InvalidState, NotAllowed, NotFound
from dossiers.models import DossierEvent, FilingChannel, Status
from dossiers.models_payments import PaymentPurpose, PaymentStatus, PaymentTransaction
from dossiers.payments import dues, services
from dossiers.payments.gateways import GatewayResult
from dossiers.workflow import transition
from procedures.models import ServiceLevel
from tests.dossiers.factories import applicant_data, pdf
from tests.factories import CitizenFactory
from tests.payments.factories import file_online, level4_catalog

pytestmark = pytest.mark.django_db


def succeed(payment, amount=None) -> services.Settlement:
    result = GatewayResult(payment.reference, "succeeded", amount or payment.amount_vnd, "GW1")
    return services.settle(result, gateway_name="sandbox", source="webhook")


def test_the_channel_fee_is_due_while_the_dossier_awaits_intake(catalog):
    dossier = file_online(catalog)
    due = dues.current_due(dossier)
    assert due is not None
    assert (due.amount_vnd, due.purpose) == (100_000, PaymentPurpose.FILING)
    assert due.event_id == DossierEvent.objects.get(dossier=dossier, action="submit").pk
    assert "Lệ phí cấp giấy" in due.fee_items[0]["name"]


@pytest.mark.parametrize(
    "version_fields",
    [
        {"service_level": ServiceLevel.PARTIAL},  # level 3: fees paid in person
        {"online_payment": False},
    ],
)
def test_no_online_fee_below_level_4_or_without_online_payment(db, version_fields):
    catalog = level4_catalog(**version_fields)
    dossier = file_online(catalog)
    assert dues.current_due(dossier) is None
    with pytest.raises(InvalidState):
        services.start_payment(dossier.code, catalog.citizen)


def test_no_online_fee_when_the_catalog_charges_nothing(db):
    catalog = level4_catalog(fee=0)
    assert dues.current_due(file_online(catalog)) is None


def test_walk_in_dossiers_pay_at_the_counter(catalog):
    from dossiers.filing import file_dossier

    dossier = file_dossier(
        procedure_code=catalog.code,
        applicant_user=None,
        data=applicant_data(),
        files={"to-khai": [pdf()]},
        channel=FilingChannel.DIRECT,
        actor=catalog.desk,
    )
    assert dues.current_due(dossier) is None


def test_only_the_owner_pays_and_strangers_see_nothing(catalog):
    dossier = file_online(catalog)
    with pytest.raises(NotFound):
        services.start_payment(dossier.code, CitizenFactory())
    with pytest.raises(NotAllowed):
        services.start_payment(dossier.code, catalog.desk)
    assert not PaymentTransaction.objects.exists()


def test_paying_before_intake_releases_the_dossier_and_renews_the_intake_deadline(catalog, clock):
    dossier = file_online(catalog)
    first_deadline = dossier.intake_due_at
    clock.advance(hours=2)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    assert payment.due_event_id == dues.current_due(dossier).event_id

    assert succeed(payment).result == "applied"

    dossier.refresh_from_db()
    assert (dossier.status, dossier.paid_online) == (Status.SUBMITTED, True)
    assert dossier.intake_due_at > first_deadline
    release = DossierEvent.objects.get(dossier=dossier, action="confirm-payment")
    assert (release.from_status, release.to_status) == (Status.SUBMITTED, Status.SUBMITTED)
    assert release.actor.username == "system.payments"
    assert release.payload["amount"] == 100_000
    assert dues.current_due(dossier) is None


def test_intake_of_an_unpaid_dossier_requests_the_fee(
    catalog, clock, django_capture_on_commit_callbacks
):
    dossier = file_online(catalog)
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "receive", catalog.desk)
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED
    assert dossier.payment_due_vnd == 100_000 and dossier.paused_at is not None
    request = DossierEvent.objects.get(dossier=dossier, action="request-payment")
    assert request.actor.username == "system.payments"

    due = dues.current_due(dossier)
    assert (due.amount_vnd, due.purpose, due.event_id) == (
        100_000,
        PaymentPurpose.FILING,
        request.pk,
    )
    clock.advance(hours=3)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    assert succeed(payment).result == "applied"
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert PaymentTransaction.objects.get().purpose == PaymentPurpose.FILING


def test_a_payment_started_before_intake_settles_the_fee_requested_at_intake(
    catalog, django_capture_on_commit_callbacks
):
    dossier = file_online(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "receive", catalog.desk)
    assert succeed(payment).result == "applied"
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert DossierEvent.objects.filter(dossier=dossier, action="confirm-payment").count() == 1


def test_a_confirmation_between_intake_and_the_request_pays_the_fee_once(catalog):
    """Paid at status 1, confirmed after the intake but before the automatic request runs."""
    dossier = file_online(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    transition(dossier.code, "receive", catalog.desk)  # the receiver has not run yet

    assert succeed(payment).result == "applied"
    assert services.request_unpaid_filing_fee(dossier.pk) is None  # then it runs: nothing to do
    dossier.refresh_from_db()
    assert (dossier.status, dossier.paid_online) == (Status.RECEIVED, True)
    assert PaymentTransaction.objects.get().status == PaymentStatus.SUCCEEDED


def test_intake_after_payment_asks_for_nothing(catalog, django_capture_on_commit_callbacks):
    dossier = file_online(catalog)
    succeed(services.start_payment(dossier.code, catalog.citizen).payment)
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "receive", catalog.desk)
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert not DossierEvent.objects.filter(dossier=dossier, action="request-payment").exists()


def test_the_request_at_intake_can_be_turned_off(
    catalog, settings, django_capture_on_commit_callbacks
):
    settings.PAYMENTS_REQUEST_UNPAID_AT_INTAKE = False
    dossier = file_online(catalog)
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "receive", catalog.desk)
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
