"""Periodic deadline work (Celery beat): remind the holding agency before a step's deadline,
mark overdue steps and dossiers, prompt for an apology (Mẫu 04) — each at most once."""

import datetime

import pytest
from django.utils import timezone

from dossiers.models import Dossier
from dossiers.models_routing import DeadlineNotice, Handover, NoticeKind
from dossiers.routing_tasks import mark_deadlines, sweep_deadlines
from dossiers.workflow import transition
from tests.routing.factories import Province

pytestmark = pytest.mark.django_db

# Monday 3 March 2025 08:00 (Asia/Ho_Chi_Minh): 4 working hours later is 14:00 (lunch skipped).
NOW = timezone.make_aware(datetime.datetime(2025, 3, 3, 8, 0))


def at(hour: int, minute: int = 0, days: int = 0) -> datetime.datetime:
    return NOW.replace(hour=hour, minute=minute) + datetime.timedelta(days=days)


@pytest.fixture
def delivered(django_capture_on_commit_callbacks):
    """A dossier of the province, delivered to the department (the step running there)."""
    p = Province()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = p.walk_in()
    return p, dossier


def set_due(dossier, *, step: datetime.datetime, due: datetime.datetime) -> None:
    Dossier.objects.filter(pk=dossier.pk).update(step_due_at=step, due_at=due)


def notices(kind: str) -> list[tuple[int, int | None, int]]:
    return list(
        DeadlineNotice.objects.filter(kind=kind).values_list(
            "dossier_id", "handover_id", "agency_id"
        )
    )


def test_the_holding_agency_is_reminded_once_per_step(
    delivered, django_capture_on_commit_callbacks
):
    p, dossier = delivered
    set_due(dossier, step=at(13, 45), due=at(17, days=7))
    step = Handover.objects.get(dossier=dossier, reason="route")
    assert mark_deadlines(NOW)["step_reminders"] == 1
    assert notices(NoticeKind.STEP_REMINDER) == [(dossier.pk, step.pk, p.department.pk)]
    assert Handover.objects.get(pk=step.pk).reminded_at == NOW
    assert mark_deadlines(NOW)["step_reminders"] == 0
    assert DeadlineNotice.objects.filter(kind=NoticeKind.STEP_REMINDER).count() == 1
    # The next step is a new step: its agency is reminded in its turn.
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "forward", p.staff["department"], agency=p.other_department.code)
    set_due(dossier, step=at(13, 0), due=at(17, days=7))
    assert mark_deadlines(NOW)["step_reminders"] == 1
    assert {n[2] for n in notices(NoticeKind.STEP_REMINDER)} == {
        p.department.pk,
        p.other_department.pk,
    }


def test_a_step_due_later_than_the_window_is_not_reminded(delivered):
    _p, dossier = delivered
    set_due(dossier, step=at(15, 0), due=at(17, days=7))
    assert mark_deadlines(NOW)["step_reminders"] == 0
    assert not DeadlineNotice.objects.exists()


def test_overdue_steps_and_dossiers_are_marked_once(delivered):
    p, dossier = delivered
    set_due(dossier, step=at(7, 30), due=at(7, 45))
    result = mark_deadlines(NOW)
    assert result["overdue_steps"] == 1 and result[NoticeKind.OVERDUE] == 1
    assert result["step_reminders"] == 0 and result[NoticeKind.APOLOGY_PROMPT] == 0
    step = Handover.objects.get(dossier=dossier, reason="route")
    assert notices(NoticeKind.STEP_OVERDUE) == [(dossier.pk, step.pk, p.department.pk)]
    assert notices(NoticeKind.OVERDUE) == [(dossier.pk, None, p.department.pk)]
    again = mark_deadlines(NOW + datetime.timedelta(hours=2))
    assert again["overdue_steps"] == 0 and again[NoticeKind.OVERDUE] == 0


def test_the_leader_is_prompted_to_apologise_once_before_the_dossier_is_late(delivered):
    p, dossier = delivered
    set_due(dossier, step=at(17, days=5), due=at(16, 0))  # due today, not yet late
    result = mark_deadlines(NOW)
    assert result[NoticeKind.APOLOGY_PROMPT] == 1 and result[NoticeKind.OVERDUE] == 0
    notice = DeadlineNotice.objects.get(kind=NoticeKind.APOLOGY_PROMPT)
    assert (notice.agency, notice.due_at) == (p.department, at(16, 0))
    assert mark_deadlines(NOW)[NoticeKind.APOLOGY_PROMPT] == 0
    assert sweep_deadlines.apply().get()[NoticeKind.APOLOGY_PROMPT] == 0


def test_stopped_clocks_are_not_reminded(delivered):
    p, dossier = delivered
    transition(
        dossier.code,
        "request-supplement",
        p.staff["department"],
        reason="Thiếu giấy tờ",
        documents=["Bản sao CCCD"],
    )
    set_due(dossier, step=at(13, 0), due=at(17, days=3))
    result = mark_deadlines(NOW)
    assert result["step_reminders"] == 0 and result["overdue_steps"] == 0


@pytest.mark.parametrize("size", [1, 8])
def test_the_sweep_uses_a_constant_number_of_queries(
    size, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    p = Province()
    with django_capture_on_commit_callbacks(execute=True):
        dossiers = [p.walk_in() for _ in range(size)]
    for i, dossier in enumerate(dossiers):
        late = i % 2 == 0
        set_due(dossier, step=at(7, 30) if late else at(13, 0), due=at(7, 45) if late else at(16))
    with django_assert_max_num_queries(12):
        result = mark_deadlines(NOW)
    assert sum(result.values()) == size * 2
