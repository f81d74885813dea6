"""Intake at the desk: receive (1 → 2), refuse (1 → 3), assign (2, 4 → 4)."""

import pytest
from django.db import IntegrityError, connection, transaction

from dossiers.errors import InvalidState, NotAllowed, NotFound, ValidationError
from dossiers.models import AppendOnlyError, DossierEvent, Status
from dossiers.workflow import allowed_actions, transition
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import Catalog

pytestmark = pytest.mark.django_db


def test_receive_starts_the_clock(catalog, clock):
    dossier = file_online(catalog)
    clock.advance(hours=2)  # Monday 10:00

    dossier = transition(dossier.code, "receive", catalog.desk, note="Đủ giấy tờ")

    assert dossier.status == Status.RECEIVED
    assert dossier.received_at == clock.now
    # 3 working days from Monday 10:00 → Thursday 10:00.
    assert dossier.due_at.isoformat().startswith("2025-03-06T10:00")
    assert dossier.original_due_at == dossier.due_at == dossier.step_due_at
    event = dossier.events.last()
    assert (event.action, event.from_status, event.to_status) == ("receive", 1, 2)
    assert event.note == "Đủ giấy tờ"
    assert event.actor == catalog.desk
    assert event.step_due_at == dossier.due_at


def test_receive_after_hours_counts_from_the_next_morning(catalog, clock):
    dossier = file_online(catalog)
    clock.set(2025, 3, 7, 17, 30)  # Friday after hours
    dossier = transition(dossier.code, "receive", catalog.desk)
    # Clock starts Monday 10 March 07:00; 3 whole working days end Wednesday 12 at 17:00.
    assert dossier.due_at.isoformat().startswith("2025-03-12T17:00")


def test_refuse_needs_a_reason_and_closes(catalog, submitted):
    with pytest.raises(ValidationError) as error:
        transition(submitted.code, "refuse", catalog.desk, reason="  ")
    assert error.value.message_dict["reason"] == ["Trường này là bắt buộc."]
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED

    dossier = transition(submitted.code, "refuse", catalog.desk, reason="Sai thủ tục")
    assert dossier.status == Status.REFUSED
    assert dossier.closed_at is not None
    assert dossier.events.last().payload == {"reason": "Sai thủ tục"}


def test_receive_twice_is_409_and_changes_nothing(catalog, submitted):
    transition(submitted.code, "receive", catalog.desk)
    events = DossierEvent.objects.count()
    with pytest.raises(InvalidState):
        transition(submitted.code, "receive", catalog.desk)
    assert DossierEvent.objects.count() == events


def test_only_the_receiving_desk_receives(catalog, submitted):
    other = Catalog()
    with pytest.raises(NotFound):  # cannot even see it
        transition(submitted.code, "receive", other.desk)
    with pytest.raises(NotAllowed):  # sees it (same agency) but is not desk
        transition(submitted.code, "receive", catalog.leader)
    with pytest.raises(NotAllowed):  # the owner
        transition(submitted.code, "receive", catalog.citizen)


def test_assign_to_a_specialist_of_the_holding_agency(catalog, received):
    dossier = transition(
        received.code, "assign", catalog.desk, assignee=catalog.specialist.username
    )
    assert dossier.status == Status.PROCESSING
    assert dossier.assignee == catalog.specialist
    event = dossier.events.last()
    assert event.assignee == catalog.specialist
    assert event.payload == {"assignee": catalog.specialist.username}


def test_assignee_must_belong_to_the_holding_agency(catalog, received):
    outsider = Catalog().specialist
    with pytest.raises(ValidationError) as error:
        transition(received.code, "assign", catalog.desk, assignee=outsider.username)
    assert "assignee" in error.value.message_dict


def test_specialist_cannot_assign(catalog, received):
    with pytest.raises(NotAllowed):
        transition(received.code, "assign", catalog.specialist, assignee=catalog.leader.username)


def test_unknown_action_is_not_found(catalog, received):
    with pytest.raises(NotFound):
        transition(received.code, "explode", catalog.desk)


def test_allowed_actions_follow_role_and_status(catalog, submitted):
    assert set(allowed_actions(submitted, catalog.desk)) == {"receive", "refuse", "withdraw"}
    assert allowed_actions(submitted, catalog.citizen) == ["withdraw"]
    assert allowed_actions(submitted, catalog.specialist) == []


class TestHistoryIsAppendOnly:
    def test_model_refuses_update_and_delete(self, submitted):
        event = submitted.events.get()
        event.note = "sửa"
        with pytest.raises(AppendOnlyError):
            event.save()
        with pytest.raises(AppendOnlyError):
            event.delete()

    def test_database_trigger_refuses_bulk_update_and_raw_delete(self, submitted):
        assert connection.vendor == "postgresql"
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            DossierEvent.objects.filter(dossier=submitted).update(note="x")
        with (
            pytest.raises(IntegrityError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM dossiers_dossierevent")
        assert submitted.events.get().note == ""
