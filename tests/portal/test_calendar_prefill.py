"""Pre-filling the holiday calendar from the holidays package (portal/calendar_data.py)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.calendar_data import package_days, prefill_calendar
from portal.models import CalendarDay, CalendarDayKind
from portal.worktime import get_calendar

pytestmark = pytest.mark.django_db

HOLIDAY, WORKING = CalendarDayKind.HOLIDAY, CalendarDayKind.WORKING


def rows() -> set[tuple[dt.date, str, str]]:
    return set(CalendarDay.objects.values_list("date", "kind", "name"))


def kind_of(day: dt.date) -> str | None:
    return CalendarDay.objects.filter(date=day).values_list("kind", flat=True).first()


# --- what is written ----------------------------------------------------------------------------


def test_prefill_writes_the_weekday_holidays_of_tet_2024():
    result = prefill_calendar(2024, 2024)
    assert len(result.created) == CalendarDay.objects.count() > 10
    for day in (8, 9, 12, 13, 14):  # Thu, Fri, Mon, Tue, Wed
        assert kind_of(dt.date(2024, 2, day)) == HOLIDAY
    # Tết itself (Saturday 10/2) and Sunday 11/2 are already off: no row.
    assert kind_of(dt.date(2024, 2, 10)) is None
    assert kind_of(dt.date(2024, 2, 11)) is None
    assert CalendarDay.objects.get(date=dt.date(2024, 2, 12)).name == "Mùng ba Tết Nguyên Đán"


def test_prefill_writes_observed_days_and_government_swaps():
    prefill_calendar(2026, 2026)
    assert kind_of(dt.date(2026, 4, 26)) is None  # Giỗ Tổ on a Sunday
    assert CalendarDay.objects.get(date=dt.date(2026, 4, 27)).name == (
        "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    )
    assert kind_of(dt.date(2026, 8, 31)) == HOLIDAY  # swapped with Saturday 22/8
    assert kind_of(dt.date(2026, 8, 22)) == WORKING
    assert kind_of(dt.date(2026, 9, 1)) == HOLIDAY
    assert kind_of(dt.date(2026, 9, 2)) == HOLIDAY


def test_make_up_saturdays_are_extracted_from_the_package_labels():
    """Pinned: a package upgrade that changes the labels must fail here, not lose them."""
    makeup = [day for day in package_days(2017, 2030) if day.kind == WORKING]
    assert [day.date for day in makeup] == [
        dt.date(2019, 1, 5),  # for Monday 31/12/2018
        dt.date(2019, 5, 4),  # for Monday 29/4/2019
        dt.date(2024, 5, 4),  # for Monday 29/4/2024
        dt.date(2025, 4, 26),  # for Friday 2/5/2025
        dt.date(2026, 8, 22),  # for Monday 31/8/2026
    ]
    assert makeup[0].name == "Ngày làm việc bù (thay cho ngày nghỉ 31/12/2018)"


def test_a_swap_across_new_year_is_kept_when_only_the_later_year_is_prefilled():
    prefill_calendar(2019, 2019)
    assert kind_of(dt.date(2019, 1, 5)) == WORKING
    assert kind_of(dt.date(2018, 12, 31)) is None  # outside the range asked for


def test_every_holiday_row_is_a_weekday_and_every_make_up_row_a_weekend_day():
    prefill_calendar()
    assert CalendarDay.objects.count() > 14 * 10
    for day, kind, name in rows():
        assert name
        assert (day.weekday() >= 5) == (kind == WORKING), (day, kind, name)
        assert 2017 <= day.year <= 2030


def test_vietnam_culture_day_is_prefilled_from_2026_and_can_be_left_out():
    prefill_calendar(2025, 2030)
    culture = CalendarDay.objects.filter(name__contains="Văn hóa").values_list("date", flat=True)
    assert sorted(culture) == [
        dt.date(2026, 11, 24),
        dt.date(2027, 11, 24),
        dt.date(2028, 11, 24),
        dt.date(2029, 11, 26),  # observed: 24/11/2029 is a Saturday
        dt.date(2030, 11, 25),  # observed: 24/11/2030 is a Sunday
    ]
    CalendarDay.objects.all().delete()
    prefill_calendar(2025, 2030, include_culture_day=False)
    assert not CalendarDay.objects.filter(name__contains="Văn hóa").exists()
    assert not CalendarDay.objects.filter(date__month=11).exists()


# --- idempotency and administrators' edits ------------------------------------------------------


def test_prefill_twice_gives_the_same_rows():
    first = prefill_calendar()
    before = rows()
    second = prefill_calendar()
    assert rows() == before
    assert second.created == []
    assert second.kept == len(first.created)
    assert second.skipped_years == []


def test_an_admin_edit_is_never_overwritten_even_with_force():
    prefill_calendar(2026, 2026)
    row = CalendarDay.objects.get(date=dt.date(2026, 11, 24))
    row.kind, row.name = WORKING, "Tỉnh làm việc bình thường"
    row.save()
    prefill_calendar(2026, 2026)
    prefill_calendar(2026, 2026, force=True)
    row.refresh_from_db()
    assert (row.kind, row.name) == (WORKING, "Tỉnh làm việc bình thường")


def test_an_admin_deleted_row_is_recreated_only_with_force():
    prefill_calendar(2026, 2026)
    CalendarDay.objects.filter(date=dt.date(2026, 11, 24)).delete()
    result = prefill_calendar(2026, 2026)
    assert result.created == []
    assert result.skipped_years == [2026]
    assert kind_of(dt.date(2026, 11, 24)) is None
    result = prefill_calendar(2026, 2026, force=True)
    assert [day.date for day in result.created] == [dt.date(2026, 11, 24)]
    assert kind_of(dt.date(2026, 11, 24)) == HOLIDAY


def test_a_year_an_admin_started_by_hand_is_left_alone_without_force():
    CalendarDay.objects.create(date=dt.date(2027, 2, 15), kind=HOLIDAY, name="Theo thông báo")
    result = prefill_calendar(2026, 2027)
    assert result.skipped_years == [2027]
    assert CalendarDay.objects.filter(date__year=2027).count() == 1
    assert CalendarDay.objects.filter(date__year=2026).count() > 10


def test_prefill_invalidates_the_cached_calendar():
    assert get_calendar().is_working_day(dt.date(2026, 2, 17))
    prefill_calendar(2026, 2026)
    assert not get_calendar().is_working_day(dt.date(2026, 2, 17))


# --- the command and the demo -------------------------------------------------------------------


def test_prefill_command_reports_dry_run_and_force():
    out = StringIO()
    call_command("prefill_calendar", "--from", "2024", "--to", "2024", "--dry-run", stdout=out)
    assert "would add" in out.getvalue()
    assert "2024-05-04 working" in out.getvalue()
    assert not CalendarDay.objects.exists()

    out = StringIO()
    call_command("prefill_calendar", "--from", "2024", "--to", "2024", stdout=out)
    added = CalendarDay.objects.count()
    assert f"added {added} days" in out.getvalue()

    CalendarDay.objects.filter(date=dt.date(2024, 5, 4)).delete()
    out = StringIO()
    call_command("prefill_calendar", "--from", "2024", "--to", "2024", stdout=out)
    assert "--force" in out.getvalue()
    call_command("prefill_calendar", "--from", "2024", "--to", "2024", "--force", stdout=out)
    assert CalendarDay.objects.count() == added


def test_prefill_command_refuses_a_reversed_range():
    with pytest.raises(CommandError, match="after"):
        call_command("prefill_calendar", "--from", "2030", "--to", "2020", stdout=StringIO())


def test_seed_demo_prefills_the_calendar(settings):
    settings.DEMO_SEEDERS = []
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Holiday calendar" in out.getvalue()
    assert kind_of(dt.date(2025, 1, 28)) == HOLIDAY
    before = rows()
    call_command("seed_demo", stdout=StringIO())
    assert rows() == before
