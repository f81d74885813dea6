"""Payment of fees requested (2, 4 → 6, clock stopped) and confirmed (6 → 4)."""

import pytest

from dossiers.errors import InvalidState, NotAllowed, ValidationError
from dossiers.models import Status
from dossiers.workflow import transition

pytestmark = pytest.mark.django_db


def test_payment_request_pauses_and_confirmation_resumes(catalog, clock, processing):
    dossier = transition(
        processing.code, "request-payment", catalog.specialist, amount=50000, reason="Lệ phí"
    )
    assert dossier.status == Status.PAYMENT_REQUESTED
    assert dossier.payment_due_vnd == 50000
    assert dossier.paused_at == clock.now

    clock.advance(hours=3)  # 08:00 → 11:00 Monday: 3 working hours
    dossier = transition(dossier.code, "confirm-payment", catalog.desk, receipt_number="BL-01")
    assert dossier.status == Status.PROCESSING
    assert dossier.paused_hours == 3
    assert dossier.due_at.isoformat().startswith("2025-03-06T11:00")
    assert dossier.events.last().payload["receipt_number"] == "BL-01"


@pytest.mark.parametrize("amount", [None, "", 0, -5, "abc"])
def test_amount_must_be_a_positive_integer(catalog, processing, amount):
    with pytest.raises(ValidationError) as error:
        transition(
            processing.code, "request-payment", catalog.specialist, amount=amount, reason="x"
        )
    assert "amount" in error.value.message_dict


def test_citizen_cannot_confirm_own_payment(catalog, processing):
    transition(processing.code, "request-payment", catalog.specialist, amount=1, reason="x")
    with pytest.raises(NotAllowed):
        transition(processing.code, "confirm-payment", catalog.citizen)


def test_cannot_request_payment_before_intake(catalog, submitted):
    with pytest.raises(NotAllowed):  # the receiving desk holds it but nobody there is staff…
        transition(submitted.code, "request-payment", catalog.citizen, amount=1, reason="x")
    with pytest.raises(InvalidState):
        transition(submitted.code, "request-payment", catalog.specialist, amount=1, reason="x")
