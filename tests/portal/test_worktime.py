"""Working-time arithmetic (portal/worktime.py) on real dates, with the real holiday rows that
the prefill writes from the holidays package."""

import dataclasses
import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.calendar_data import prefill_calendar
from portal.models import CalendarDay, CalendarDayKind, OfficeHours
from portal.worktime import WorkCalendar, get_calendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


@pytest.fixture
def calendar(db) -> WorkCalendar:
    prefill_calendar()
    return get_calendar()


# --- the verified facts and the real holidays ---------------------------------------------------


def test_verified_fact_tet_2025_friday_plus_one_working_day_is_monday_after_tet(calendar):
    assert calendar.add_working_days_to_date(dt.date(2025, 1, 24), 1) == dt.date(2025, 2, 3)
    assert calendar.due_at(at(2025, 1, 24, 10), 1, "working_days") == at(2025, 2, 3, 10)


def test_verified_fact_gio_to_2026_on_sunday_is_observed_on_monday(calendar):
    assert calendar.add_working_days_to_date(dt.date(2026, 4, 24), 1) == dt.date(2026, 4, 28)
    assert calendar.due_at(at(2026, 4, 24, 10), 1, "working_days") == at(2026, 4, 28, 10)
    assert not calendar.is_working_day(dt.date(2026, 4, 27))


def test_tet_2024_closes_thursday_8_to_wednesday_14_february(calendar):
    # Lunar new year: Saturday 10 Feb 2024.
    closed = [dt.date(2024, 2, d) for d in (8, 9, 12, 13, 14)]
    assert not any(calendar.is_working_day(day) for day in closed)
    assert calendar.is_working_day(dt.date(2024, 2, 7))
    assert calendar.is_working_day(dt.date(2024, 2, 15))
    assert calendar.due_at(at(2024, 2, 7, 10), 1, "working_days") == at(2024, 2, 15, 10)
    assert calendar.working_hours_between(at(2024, 2, 7, 17), at(2024, 2, 15, 7)) == 0


def test_tet_2026_closes_monday_16_to_friday_20_february(calendar):
    # Lunar new year: Tuesday 17 Feb 2026.
    assert [calendar.is_working_day(dt.date(2026, 2, d)) for d in range(13, 24)] == [
        True,  # Fri 13
        False,  # Sat 14
        False,  # Sun 15
        False,  # Mon 16, eve
        False,  # Tue 17, Tết
        False,
        False,
        False,  # Fri 20, 4th day
        False,
        False,
        True,  # Mon 23
    ]
    assert calendar.due_at(at(2026, 2, 13, 10), 2, "working_days") == at(2026, 2, 24, 10)


def test_gio_to_hung_vuong_2024_on_a_thursday(calendar):
    assert not calendar.is_working_day(dt.date(2024, 4, 18))
    assert calendar.due_at(at(2024, 4, 17, 10), 1, "working_days") == at(2024, 4, 19, 10)


def test_30_4_and_1_5_in_2024_with_the_swapped_monday_and_the_make_up_saturday(calendar):
    # Mon 29/4 off in exchange for Saturday 4/5 (Công văn 2450/VPCP-KGVX).
    assert not calendar.is_working_day(dt.date(2024, 4, 29))
    assert not calendar.is_working_day(dt.date(2024, 4, 30))
    assert not calendar.is_working_day(dt.date(2024, 5, 1))
    assert calendar.due_at(at(2024, 4, 26, 10), 1, "working_days") == at(2024, 5, 2, 10)


def test_a_make_up_saturday_counts_as_a_working_day(calendar):
    saturday = dt.date(2025, 4, 26)  # worked in exchange for Friday 2/5/2025
    assert saturday.weekday() == 5
    assert calendar.is_working_day(saturday)
    assert calendar.add_working_days_to_date(dt.date(2025, 4, 25), 1) == saturday
    assert calendar.due_at(at(2025, 4, 25, 10), 1, "working_days") == at(2025, 4, 26, 10)
    # 30/4, 1/5 and the swapped Friday 2/5 are off: Tuesday + 1 day is the next Monday.
    assert calendar.due_at(at(2025, 4, 29, 10), 1, "working_days") == at(2025, 5, 5, 10)
    assert calendar.working_hours_between(at(2025, 4, 25, 17), at(2025, 4, 28, 7)) == 8


def test_national_day_2025_closes_monday_1_and_tuesday_2_september(calendar):
    assert calendar.due_at(at(2025, 8, 29, 10), 1, "working_days") == at(2025, 9, 3, 10)


def test_vietnam_culture_day_2026_is_a_day_off(calendar):
    assert not calendar.is_working_day(dt.date(2026, 11, 24))
    assert calendar.is_working_day(dt.date(2025, 11, 24))  # a Monday: not before 2026


def test_a_year_without_prefill_still_has_weekends(db):
    calendar = get_calendar()
    assert calendar.is_working_day(dt.date(2031, 1, 3))  # Friday
    assert not calendar.is_working_day(dt.date(2031, 1, 4))  # Saturday


# --- when the clock starts ----------------------------------------------------------------------


def test_received_after_hours_starts_at_seven_the_next_working_day(calendar):
    assert calendar.next_working_moment(at(2026, 3, 5, 17, 30)) == at(2026, 3, 6, 7)
    assert calendar.next_working_moment(at(2026, 3, 6, 17, 30)) == at(2026, 3, 9, 7)  # Fri → Mon
    assert calendar.next_working_moment(at(2026, 3, 5, 17)) == at(2026, 3, 6, 7)
    assert calendar.next_working_moment(at(2026, 3, 6, 6, 59)) == at(2026, 3, 6, 7)
    assert calendar.due_at(at(2026, 3, 5, 17, 30), 1, "working_days") == at(2026, 3, 6, 17)


def test_received_at_lunch_starts_at_half_past_one(calendar):
    assert calendar.next_working_moment(at(2026, 3, 5, 12)) == at(2026, 3, 5, 13, 30)
    assert calendar.next_working_moment(at(2026, 3, 5, 11, 30)) == at(2026, 3, 5, 13, 30)
    assert calendar.due_at(at(2026, 3, 5, 12), 4, "working_hours") == at(2026, 3, 6, 7, 30)


def test_inside_a_session_the_clock_starts_at_once(calendar):
    moment = at(2026, 3, 5, 9, 17)
    assert calendar.next_working_moment(moment) == moment
    assert calendar.next_working_moment(at(2026, 3, 5, 7)) == at(2026, 3, 5, 7)


def test_a_result_in_utc_is_read_in_vietnam_time(calendar):
    received = dt.datetime(2026, 3, 5, 10, 30, tzinfo=dt.UTC)  # 17:30 in Hà Nội
    assert calendar.next_working_moment(received) == at(2026, 3, 6, 7)
    assert calendar.next_working_moment(received).utcoffset() == dt.timedelta(hours=7)


# --- adding working time ------------------------------------------------------------------------


def test_three_working_days_from_thursday_ten_is_tuesday_ten(calendar):
    thursday = at(2026, 3, 5, 10)
    assert thursday.weekday() == 3
    assert calendar.due_at(thursday, 3, "working_days") == at(2026, 3, 10, 10)
    assert calendar.due_at(thursday, 24, "working_hours") == at(2026, 3, 10, 10)


def test_a_full_day_from_seven_ends_at_five_the_same_day(calendar):
    assert calendar.add_working_hours(at(2026, 3, 2, 7), 8) == at(2026, 3, 2, 17)
    assert calendar.add_working_hours(at(2026, 3, 2, 7), Decimal("4.5")) == at(2026, 3, 2, 11, 30)
    assert calendar.add_working_hours(at(2026, 3, 2, 7), 40) == at(2026, 3, 6, 17)
    half_day = calendar.due_at(at(2026, 3, 2, 7), Decimal("0.5"), "working_days")
    assert half_day == at(2026, 3, 2, 11)


def test_long_deadlines_cross_tet_exactly(calendar):
    # 15 working days from Mon 2 Feb 2026: 2–13 Feb are 10 days, Tết closes 16–20, then 5 more.
    assert calendar.due_at(at(2026, 2, 2, 7), 15, "working_days") == at(2026, 2, 27, 17)
    # Dates count the days *after* the given one: from Sunday 1/2, the 15th is Friday 27/2.
    assert calendar.add_working_days_to_date(dt.date(2026, 2, 1), 15) == dt.date(2026, 2, 27)
    assert calendar.add_working_days_to_date(dt.date(2026, 2, 2), 15) == dt.date(2026, 3, 2)
    assert calendar.add_working_days_to_date(dt.date(2026, 3, 2), -15) == dt.date(2026, 2, 2)
    assert calendar.add_working_days_to_date(dt.date(2026, 2, 14), 0) == dt.date(2026, 2, 14)


def test_floats_mean_their_decimal_value(calendar):
    assert calendar.add_working_hours(at(2026, 3, 2, 7), 0.1) == at(2026, 3, 2, 7, 6)


# --- calendar days ------------------------------------------------------------------------------


def test_calendar_days_end_at_the_end_of_the_last_session(calendar):
    assert calendar.due_at(at(2026, 3, 5, 10), 1, "calendar_days") == at(2026, 3, 6, 17)


def test_calendar_days_ending_on_a_sunday_move_to_monday(calendar):
    thursday = at(2026, 3, 5, 10)
    assert dt.date(2026, 3, 8).weekday() == 6
    assert calendar.due_at(thursday, 3, "calendar_days") == at(2026, 3, 9, 17)


def test_calendar_days_ending_on_a_holiday_move_to_the_next_working_day(calendar):
    # Mon 20/4/2026 + 7 = Mon 27/4, the observed Giỗ Tổ day.
    assert calendar.due_at(at(2026, 4, 20, 9), 7, "calendar_days") == at(2026, 4, 28, 17)


def test_calendar_days_from_after_hours_count_from_the_next_working_day(calendar):
    # Received Friday 17:30: the clock starts Monday 9/3, + 1 day = Tuesday.
    assert calendar.due_at(at(2026, 3, 6, 17, 30), 1, "calendar_days") == at(2026, 3, 10, 17)


# --- measuring working time (paused dossiers, statistics) ---------------------------------------


def test_working_hours_between_skips_the_weekend(calendar):
    assert calendar.working_hours_between(at(2026, 3, 6, 15), at(2026, 3, 9, 9)) == 4


def test_working_hours_between_skips_holidays(calendar):
    # Fri 24/1/2025 07:00 → Mon 3/2/2025 17:00 spans Tết: only the two outer days count.
    assert calendar.working_hours_between(at(2025, 1, 24, 7), at(2025, 2, 3, 17)) == 16


def test_working_hours_between_is_zero_when_end_is_not_after_start(calendar):
    assert calendar.working_hours_between(at(2026, 3, 6, 15), at(2026, 3, 6, 15)) == 0
    assert calendar.working_hours_between(at(2026, 3, 6, 15), at(2026, 3, 2, 9)) == 0
    assert calendar.working_hours_between(at(2026, 3, 6, 12), at(2026, 3, 6, 13)) == 0


def test_paused_time_added_back_gives_the_same_moment(calendar):
    paused, resumed = at(2026, 2, 11, 9, 13), dt.datetime(2026, 3, 3, 15, 1, 2, 345, tzinfo=TZ)
    hours = calendar.working_hours_between(paused, resumed)
    assert isinstance(hours, Decimal)
    assert calendar.add_working_hours(paused, hours) == resumed


# --- office hours from the database -------------------------------------------------------------


def test_custom_office_hours_change_the_result(db):
    OfficeHours.objects.create(start=dt.time(8), end=dt.time(12))
    OfficeHours.objects.create(start=dt.time(13), end=dt.time(16))
    calendar = get_calendar()
    assert calendar.hours_per_day == 7
    assert calendar.next_working_moment(at(2026, 3, 5, 7, 30)) == at(2026, 3, 5, 8)
    assert calendar.next_working_moment(at(2026, 3, 5, 12, 30)) == at(2026, 3, 5, 13)
    assert calendar.next_working_moment(at(2026, 3, 5, 16)) == at(2026, 3, 6, 8)
    assert calendar.due_at(at(2026, 3, 5, 8), 1, "working_days") == at(2026, 3, 5, 16)
    assert calendar.due_at(at(2026, 3, 5, 8), 1, "calendar_days") == at(2026, 3, 6, 16)


def test_overlapping_office_hours_are_merged_not_counted_twice():
    calendar = WorkCalendar(
        sessions=((dt.time(7), dt.time(12)), (dt.time(11), dt.time(17))), tz_name="Asia/Ho_Chi_Minh"
    )
    assert calendar.sessions == ((dt.time(7), dt.time(17)),)
    assert calendar.hours_per_day == 10


def test_default_office_hours_when_the_table_is_empty(db):
    calendar = get_calendar()
    assert calendar.hours_per_day == Decimal(8)
    assert calendar.sessions == ((dt.time(7), dt.time(11, 30)), (dt.time(13, 30), dt.time(17)))


# --- cache --------------------------------------------------------------------------------------


def test_cache_is_invalidated_when_an_admin_adds_a_holiday(admin_client):
    day = dt.date(2026, 3, 10)
    assert get_calendar().is_working_day(day)
    response = admin_client.post(
        "/admin/portal/calendarday/add/",
        {"date": "2026-03-10", "kind": CalendarDayKind.HOLIDAY, "name": "Ngày nghỉ của tỉnh"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CalendarDay.objects.filter(date=day).exists()
    assert not get_calendar().is_working_day(day)


def test_cache_is_invalidated_when_a_row_is_deleted_or_office_hours_change(db):
    row = CalendarDay.objects.create(date=dt.date(2026, 3, 10), kind=CalendarDayKind.HOLIDAY)
    assert not get_calendar().is_working_day(row.date)
    row.delete()
    assert get_calendar().is_working_day(row.date)
    OfficeHours.objects.create(start=dt.time(8), end=dt.time(16))
    assert get_calendar().hours_per_day == 8
    assert get_calendar().sessions == ((dt.time(8), dt.time(16)),)


@pytest.mark.parametrize("years", [(2026, 2026), (2017, 2030)])
def test_get_calendar_queries_two_cold_zero_warm(db, django_assert_max_num_queries, years):
    prefill_calendar(*years)
    OfficeHours.objects.create(start=dt.time(7), end=dt.time(11, 30))
    assert CalendarDay.objects.count() >= 10
    with django_assert_max_num_queries(2):
        cold = get_calendar()
    with django_assert_max_num_queries(0):
        warm = get_calendar()
    assert warm == cold
    assert not warm.is_working_day(dt.date(2026, 2, 17))


# --- refusing what cannot be right --------------------------------------------------------------


def test_naive_datetimes_unknown_units_and_negative_amounts_are_refused():
    calendar = WorkCalendar(tz_name="Asia/Ho_Chi_Minh")
    with pytest.raises(ValueError, match="aware"):
        calendar.next_working_moment(dt.datetime(2026, 3, 5, 10))
    with pytest.raises(ValueError, match="unit"):
        calendar.due_at(at(2026, 3, 5, 10), 1, "weeks")
    with pytest.raises(ValueError):
        calendar.add_working_hours(at(2026, 3, 5, 10), -1)
    with pytest.raises(ValueError, match="whole"):
        calendar.due_at(at(2026, 3, 5, 10), 1.5, "calendar_days")
    with pytest.raises(ValueError):
        calendar.add_working_hours(at(2026, 3, 5, 10), Decimal("NaN"))
    with pytest.raises(ValueError):
        calendar.add_working_hours(at(2026, 3, 5, 10), Decimal("1e30"))
    with pytest.raises(TypeError):
        calendar.add_working_hours(at(2026, 3, 5, 10), "8")
    with pytest.raises(ValueError):
        WorkCalendar(sessions=(), tz_name="Asia/Ho_Chi_Minh")


def test_the_calendar_is_immutable():
    calendar = WorkCalendar(tz_name="Asia/Ho_Chi_Minh")
    with pytest.raises(dataclasses.FrozenInstanceError):
        calendar.holidays = frozenset()  # type: ignore[misc]


# --- against a minute-by-minute reference -------------------------------------------------------


def _reference_minutes(calendar: WorkCalendar, start: dt.datetime, minutes: int) -> dt.datetime:
    """Walk minute by minute: the end of the ``minutes``-th working minute (or the start of
    the first one when ``minutes`` is 0)."""
    moment, counted = start.replace(tzinfo=None), 0
    while True:
        working = calendar.is_working_day(moment.date()) and any(
            s <= moment.time() < e for s, e in calendar.sessions
        )
        if working:
            if counted == minutes:
                return moment.replace(tzinfo=TZ)
            counted += 1
            if counted == minutes:
                return (moment + dt.timedelta(minutes=1)).replace(tzinfo=TZ)
        moment += dt.timedelta(minutes=1)


def test_arithmetic_matches_a_minute_by_minute_walk():
    rng = random.Random(20260217)
    holidays = {dt.date(2026, 2, d) for d in (16, 17, 18, 19, 20)} | {dt.date(2026, 3, 4)}
    calendar = WorkCalendar(
        holidays=frozenset(holidays),
        working_days=frozenset({dt.date(2026, 2, 28)}),
        tz_name="Asia/Ho_Chi_Minh",
    )
    for _ in range(250):
        start = at(2026, 2, 9) + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
        minutes = rng.choice([0, 1, 30, 270, 271, 480, 481, 960, 2400, rng.randrange(0, 6000)])
        expected = _reference_minutes(calendar, start, minutes)
        assert calendar.add_working_hours(start, Decimal(minutes) / 60) == expected, (
            start,
            minutes,
        )
        if minutes:
            assert calendar.working_hours_between(start, expected) == Decimal(minutes) / 60


def test_the_process_copy_is_reused_and_follows_another_process_change(
    db, django_assert_max_num_queries
):
    """Per-process copy (no unpickling per request) checked against the shared generation: a
    change committed by another process (which replaces the generation) is seen at once."""
    from django.core.cache import cache

    from portal import worktime

    day = dt.date(2026, 3, 10)
    first = get_calendar()
    with django_assert_max_num_queries(0):
        assert get_calendar() is first
    # Another process: rows changed and the generation replaced (its signal's on-commit).
    CalendarDay.objects.bulk_create([CalendarDay(date=day, kind=CalendarDayKind.HOLIDAY)])
    assert get_calendar().is_working_day(day)  # no signal here: this process cannot know yet
    cache.set(worktime.GENERATION_KEY, "another-process", None)
    assert not get_calendar().is_working_day(day)


def test_the_process_copy_is_bounded_in_age(db, monkeypatch):
    from portal import worktime

    day = dt.date(2026, 3, 10)
    assert get_calendar().is_working_day(day)
    CalendarDay.objects.bulk_create([CalendarDay(date=day, kind=CalendarDayKind.HOLIDAY)])
    now = worktime.time.monotonic()
    monkeypatch.setattr(worktime.time, "monotonic", lambda: now + worktime.CACHE_TIMEOUT + 1)
    assert not get_calendar().is_working_day(day)


def test_a_change_replaces_the_generation_again_at_commit(db, django_capture_on_commit_callbacks):
    """A reader that loaded the old rows between the change and its commit (under the new
    generation) must not keep them: the commit replaces the generation once more."""
    from django.core.cache import cache

    from portal import worktime

    with django_capture_on_commit_callbacks(execute=True):
        CalendarDay.objects.create(date=dt.date(2026, 3, 10), kind=CalendarDayKind.HOLIDAY)
        during = cache.get(worktime.GENERATION_KEY)
    assert during and cache.get(worktime.GENERATION_KEY) != during
