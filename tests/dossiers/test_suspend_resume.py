"""Suspension by the holding agency's leader (2, 4 → 8) and resumption (8 → 4)."""

import pytest

from dossiers.errors import InvalidState, NotAllowed, ValidationError
from dossiers.models import Status
from dossiers.workflow import transition

pytestmark = pytest.mark.django_db


def test_suspend_and_resume_add_the_stopped_working_time(catalog, clock, processing):
    original = processing.due_at  # Thursday 2025-03-06 08:00
    dossier = transition(processing.code, "suspend", catalog.leader, reason="Chờ xác minh")
    assert dossier.status == Status.SUSPENDED

    clock.set(2025, 3, 10, 8, 0)  # next Monday: Mon–Fri = 5 × 8 working hours - 1h before 8:00
    dossier = transition(dossier.code, "resume", catalog.leader)
    assert dossier.status == Status.PROCESSING
    assert dossier.paused_hours == 40
    assert dossier.due_at.isoformat().startswith("2025-03-13T08:00")
    assert dossier.due_at > original


def test_suspend_needs_a_reason(catalog, processing):
    with pytest.raises(ValidationError):
        transition(processing.code, "suspend", catalog.leader, reason="")


def test_only_the_leader_suspends_and_resumes(catalog, processing):
    with pytest.raises(NotAllowed):
        transition(processing.code, "suspend", catalog.specialist, reason="x")
    transition(processing.code, "suspend", catalog.leader, reason="x")
    with pytest.raises(NotAllowed):
        transition(processing.code, "resume", catalog.desk)


def test_resume_when_not_suspended_is_409(catalog, processing):
    with pytest.raises(InvalidState):
        transition(processing.code, "resume", catalog.leader)
