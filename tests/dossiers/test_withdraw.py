"""Withdrawal by the citizen (1, 2, 4, 5, 6 → 7)."""

import pytest

from dossiers.errors import InvalidState, NotAllowed, NotFound, ValidationError
from dossiers.models import Status
from dossiers.workflow import transition
from tests.dossiers.factories import Catalog

pytestmark = pytest.mark.django_db


def test_owner_withdraws_a_submitted_dossier(catalog, submitted):
    dossier = transition(submitted.code, "withdraw", catalog.citizen, reason="Nộp nhầm")
    assert dossier.status == Status.WITHDRAWN
    assert dossier.closed_at is not None
    event = dossier.events.last()
    assert (event.from_status, event.to_status, event.note) == (1, 7, "Nộp nhầm")


def test_withdraw_while_supplement_requested(catalog, processing):
    transition(
        processing.code, "request-supplement", catalog.specialist, reason="x", documents=["y"]
    )
    assert transition(processing.code, "withdraw", catalog.citizen, reason="Thôi").status == 7


def test_withdraw_needs_a_reason(catalog, submitted):
    with pytest.raises(ValidationError):
        transition(submitted.code, "withdraw", catalog.citizen, reason="")


def test_no_withdrawal_when_suspended_or_done(catalog, processing):
    transition(processing.code, "suspend", catalog.leader, reason="x")
    with pytest.raises(InvalidState):
        transition(processing.code, "withdraw", catalog.citizen, reason="x")


def test_staff_of_the_holding_agency_cannot_withdraw_for_the_citizen(catalog, processing):
    with pytest.raises(NotAllowed):
        transition(processing.code, "withdraw", catalog.specialist, reason="x")


def test_another_citizen_gets_not_found(catalog, submitted):
    with pytest.raises(NotFound):
        transition(submitted.code, "withdraw", Catalog().citizen, reason="x")
