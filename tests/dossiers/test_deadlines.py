"""Working-time deadlines of dossiers: appointment by channel, intake deadline, holidays,
calendar days, pauses, timeliness by date and overdue."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from dossiers import deadlines
from dossiers.models import Dossier, Status
from portal.models import CalendarDay, CalendarDayKind
from procedures.models import Channel
from tests.dossiers.conftest import file_online, file_walk_in
from tests.dossiers.factories import Catalog, DossierFactory

pytestmark = pytest.mark.django_db


def at(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def tet_2025():
    for day in range(25, 32):
        CalendarDay.objects.create(date=datetime.date(2025, 1, day), kind=CalendarDayKind.HOLIDAY)
    for day in range(1, 3):
        CalendarDay.objects.create(date=datetime.date(2025, 2, day), kind=CalendarDayKind.HOLIDAY)


def test_online_and_direct_channels_have_their_own_times(clock):
    catalog = Catalog(channels=[("online", Decimal("2")), ("direct", Decimal("5"))])
    online = file_online(catalog)
    from dossiers.workflow import transition

    online = transition(online.code, "receive", catalog.desk)
    walk_in = file_walk_in(catalog)
    assert online.due_at.isoformat().startswith("2025-03-05T08:00")  # +2 working days
    assert walk_in.due_at.isoformat().startswith("2025-03-10T08:00")  # +5 working days


def test_deadline_skips_tet_2025(clock):
    tet_2025()
    clock.set(2025, 1, 24, 9, 0)  # Friday before Tết
    catalog = Catalog(channels=[("direct", Decimal("1"))])
    dossier = file_walk_in(catalog)
    # One working day from Friday 09:00 → Monday 3 February 09:00.
    assert dossier.due_at == at(2025, 2, 3, 9, 0)


def test_make_up_working_saturday_counts(clock):
    CalendarDay.objects.create(date=datetime.date(2025, 3, 8), kind=CalendarDayKind.WORKING)
    clock.set(2025, 3, 7, 9, 0)  # Friday
    catalog = Catalog(channels=[("direct", Decimal("1"))])
    assert file_walk_in(catalog).due_at == at(2025, 3, 8, 9, 0)


def test_calendar_days_never_end_on_a_day_off(clock):
    clock.set(2025, 3, 5, 9, 0)  # Wednesday + 3 calendar days = Saturday → Monday end of day
    catalog = Catalog(channels=[("direct", Decimal("3"))])
    Channel.objects.filter(version=catalog.version).update(time_unit="calendar_days")
    assert file_walk_in(catalog).due_at == at(2025, 3, 10, 17, 0)


def test_intake_deadline_is_configurable(clock, settings):
    settings.DOSSIER_INTAKE_WORKING_HOURS = 4
    dossier = file_online(Catalog())
    assert dossier.intake_due_at == at(2025, 3, 3, 14, 0)  # 08:00 + 3.5 h, lunch, + 0.5 h


def test_no_channel_means_no_appointment(clock):
    catalog = Catalog(channels=[("postal", Decimal("2"))])
    Channel.objects.filter(version=catalog.version).delete()
    assert file_walk_in(catalog).due_at is None


def test_resume_adds_paused_working_hours(clock):
    dossier = Dossier(
        due_at=at(2025, 3, 6, 8, 0), original_due_at=at(2025, 3, 6, 8, 0), step_due_at=None
    )
    deadlines.pause(dossier, at(2025, 3, 3, 16, 0))
    added = deadlines.resume(dossier, at(2025, 3, 4, 8, 0))  # 16–17 + 07–08 = 2 h
    assert added == 2
    assert dossier.paused_hours == 2
    assert dossier.due_at == dossier.original_due_at == at(2025, 3, 6, 10, 0)
    assert dossier.step_due_at is None and dossier.paused_at is None


def test_pause_over_a_weekend_adds_only_working_time(clock):
    dossier = Dossier(due_at=at(2025, 3, 10, 9, 0))
    deadlines.pause(dossier, at(2025, 3, 7, 16, 0))  # Friday 16:00
    assert deadlines.resume(dossier, at(2025, 3, 10, 7, 30)) == Decimal("1.5")
    assert dossier.due_at == at(2025, 3, 10, 10, 30)


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ((2025, 3, 5, 16, 0), "early"),
        ((2025, 3, 6, 7, 0), "on_time"),
        ((2025, 3, 6, 16, 59), "on_time"),  # after the hour but on the date
        ((2025, 3, 7, 7, 0), "late"),
    ],
)
def test_timeliness_is_by_date(returned, expected):
    dossier = Dossier(original_due_at=at(2025, 3, 6, 8, 0), returned_at=at(*returned))
    assert deadlines.timeliness(dossier) == expected


def test_timeliness_unknown_without_dates():
    assert deadlines.timeliness(Dossier()) is None


def test_overdue_in_python_and_sql_agree(clock):
    now = clock.now
    late_running = DossierFactory(processing=True, overdue=True)
    on_time = DossierFactory(processing=True)
    late_intake = DossierFactory(overdue=True)
    paused_in_time = DossierFactory(
        processing=True,
        status=Status.SUSPENDED,
        due_at=now - datetime.timedelta(hours=1),
        paused_at=now - datetime.timedelta(hours=2),
    )
    paused_late = DossierFactory(
        processing=True,
        status=Status.SUSPENDED,
        due_at=now - datetime.timedelta(hours=3),
        paused_at=now - datetime.timedelta(hours=2),
    )
    returned = DossierFactory(result_ready=True, overdue=True, status=Status.RETURNED)
    expected = {late_running.pk, late_intake.pk, paused_late.pk}
    assert set(Dossier.objects.overdue(now).values_list("pk", flat=True)) == expected
    for dossier in [late_running, on_time, late_intake, paused_in_time, paused_late, returned]:
        assert deadlines.is_overdue(dossier, now) == (dossier.pk in expected)
