"""Apology and new appointment (Mẫu 04) by the holding agency's leader."""

import pytest
from django.utils import timezone

from dossiers.deadlines import timeliness
from dossiers.errors import InvalidState, NotAllowed, ValidationError
from dossiers.models import Status
from dossiers.workflow import transition

pytestmark = pytest.mark.django_db


def test_apology_when_late_sets_a_new_appointment(catalog, clock, processing):
    clock.set(2025, 3, 6, 9, 0)  # Thursday 09:00: one hour late
    dossier = transition(
        processing.code,
        "apologize",
        catalog.leader,
        reason="Chờ ý kiến cơ quan phối hợp",
        new_due_date="2025-03-11",
    )
    assert dossier.status == Status.PROCESSING  # an apology does not change the status
    assert dossier.due_at.isoformat() == "2025-03-11T17:00:00+07:00"
    assert timezone.localtime(dossier.original_due_at).isoformat().startswith("2025-03-06T08:00")
    event = dossier.events.last()
    assert event.action == "apologize"
    assert event.payload["new_due_at"].startswith("2025-03-11T17:00")

    # Returned on the new date it is still late against the legal appointment.
    assert timeliness(dossier, at=dossier.due_at) == "late"


def test_apology_about_to_be_late_is_allowed(catalog, clock, processing):
    clock.set(2025, 3, 5, 9, 0)  # Wednesday 09:00, due Thursday 08:00 (< 8 working hours)
    dossier = transition(
        processing.code, "apologize", catalog.leader, reason="Chậm", new_due_date="10/03/2025"
    )
    assert dossier.due_at.date().isoformat() == "2025-03-10"


def test_apology_long_before_the_deadline_is_409(catalog, processing):
    with pytest.raises(InvalidState):
        transition(
            processing.code, "apologize", catalog.leader, reason="x", new_due_date="2025-04-01"
        )


@pytest.mark.parametrize(
    ("new_date", "why"),
    [("2025-03-06", "not after"), ("2025-03-08", "Saturday"), ("bad", "format"), ("", "missing")],
)
def test_new_appointment_must_be_a_later_working_day(catalog, clock, processing, new_date, why):
    clock.set(2025, 3, 6, 9, 0)
    with pytest.raises(ValidationError) as error:
        transition(processing.code, "apologize", catalog.leader, reason="x", new_due_date=new_date)
    assert "new_due_date" in error.value.message_dict, why


def test_only_the_leader_apologizes(catalog, clock, processing):
    clock.set(2025, 3, 6, 9, 0)
    with pytest.raises(NotAllowed):
        transition(
            processing.code, "apologize", catalog.specialist, reason="x", new_due_date="2025-03-11"
        )
