"""Pre-fill the holiday calendar (``CalendarDay``) from the ``holidays`` package (pinned 0.109).

What is written, per year (default 2017–2030):

* ``holiday`` rows for every day off the package gives that falls **Monday to Friday**: 1/1, Tết
  Nguyên Đán (the eve and four days after, with the observed days the package derives), Giỗ Tổ
  Hùng Vương (lunar 10/3), 30/4, 1/5, 2/9 plus the adjacent day (from 2021), observed weekdays
  (nghỉ bù) of holidays that fall on a weekend, and the government's day swaps (e.g. Mon
  29/04/2024 off). A holiday on a Saturday or Sunday gets no row: it is already off, and the
  package lists its observed weekday separately.
* ``working`` rows for the make-up working days (ngày làm bù). The package leaves them out of
  its set and names them only in the label of the day off they pay for ("Ngày nghỉ (thay cho
  ngày 04/05/2024)"); they are extracted from those labels (Vietnamese labels, dd/mm/yyyy).
  For 2017–2030 that gives 05/01/2019, 04/05/2019 (Công văn 6519/VPCP-KGVX, 2018),
  04/05/2024 (Công văn 2450/VPCP-KGVX, 2024), 26/04/2025 (Thông báo 6150/TB-BLĐTBXH, 2024) and
  22/08/2026 (2/9 holiday of 2026); ``tests/portal/test_calendar_prefill.py`` pins that list so a
  package upgrade that changes the labels fails loudly instead of silently losing them.

Ngày Văn hóa Việt Nam (24/11), which the package adds from 2026: **treated as law and
pre-filled.** Politburo Resolution 80-NQ/TW (January 2026) decided that 24/11 be a paid day off;
the National Assembly enacted it in Resolution 28/2026/QH16 on developing Vietnamese culture,
in force from 1 July 2026 (reported by Báo Chính phủ, 24/04/2026, and the government portal
xaydungchinhsach.chinhphu.vn, which publishes the full text). This was checked against those
secondary reports, not the Official Gazette. A swap of working days around Tue 24/11/2026 was
still under consultation by the Ministry of Home Affairs in September 2026 and is *not*
pre-filled: add it in the admin once announced. A province that decides otherwise deletes the
rows in the admin (search "Văn hóa"; observed days are named "... (nghỉ bù)") or pre-fills with
``--without-culture-day``.

The package computes future Tết days by rule; the government announces the exact days off and
make-up days each year, so administrators review each coming year in the admin.

Idempotency and admin edits: a year that already has any ``CalendarDay`` row counts as
*curated* (pre-filled before, or edited by an administrator) and is left alone, so a row an
admin deleted is not re-created. ``force=True`` (``--force``) adds every missing day of the
package to curated years too (re-creating deleted rows, e.g. after a package upgrade brought a
newly announced swap). Existing rows are **never** overwritten, even with ``force``: an edited
name or kind stays as the admin left it. Deleting every row of a year makes it un-curated again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import holidays
from django.db import transaction

from portal.models import CalendarDay, CalendarDayKind
from portal.worktime import WEEKEND, invalidate_calendar_cache

FIRST_YEAR = 2017
LAST_YEAR = 2030
_SUPPORTED = range(1995, 2101)  # observed days exist in the package from 1995
_SUBSTITUTED = re.compile(r"thay cho ngày (\d{1,2})/(\d{1,2})/(\d{4})")
_CULTURE_DAY = "Ngày Văn hóa Việt Nam"
# Stored row names are data (like the package's Vietnamese names), not interface text.
_MAKEUP_NAME = "Ngày làm việc bù (thay cho ngày nghỉ {off:%d/%m/%Y})"


@dataclass(frozen=True, order=True)
class PlannedDay:
    date: dt.date
    kind: str
    name: str


@dataclass
class PrefillResult:
    created: list[PlannedDay] = field(default_factory=list)
    kept: int = 0  # days of the package already in the table (left exactly as they are)
    skipped_years: list[int] = field(default_factory=list)  # curated years with missing days


def _check_years(first_year: int, last_year: int) -> None:
    if first_year > last_year:
        raise ValueError(f"first year {first_year} is after last year {last_year}")
    if first_year not in _SUPPORTED or last_year not in _SUPPORTED:
        raise ValueError(f"years must be within {_SUPPORTED.start}–{_SUPPORTED.stop - 1}")


def package_days(
    first_year: int = FIRST_YEAR, last_year: int = LAST_YEAR, *, include_culture_day: bool = True
) -> list[PlannedDay]:
    """The exception days the ``holidays`` package gives for the years, sorted by date."""
    _check_years(first_year, last_year)
    # One year either side: a swap can pay for a day off in the neighbouring year (31/12/2018
    # was paid for by Saturday 05/01/2019).
    source = holidays.VN(years=range(first_year - 1, last_year + 2), language="vi")
    source_days = set(source)
    days_off: dict[dt.date, str] = {}
    makeup: dict[dt.date, str] = {}
    for day, label in sorted(source.items()):
        names = [name.strip() for name in label.split(";") if name.strip()]
        if not include_culture_day:
            names = [name for name in names if not name.startswith(_CULTURE_DAY)]
        if not names:
            continue
        for name in names:
            match = _SUBSTITUTED.search(name)
            if match:
                d, m, y = (int(part) for part in match.groups())
                makeup[dt.date(y, m, d)] = _MAKEUP_NAME.format(off=day)
        if day.weekday() not in WEEKEND:
            days_off[day] = "; ".join(names)[:200]
    planned = [PlannedDay(day, CalendarDayKind.HOLIDAY, name) for day, name in days_off.items()]
    planned += [
        PlannedDay(day, CalendarDayKind.WORKING, name)
        for day, name in makeup.items()
        # A make-up day on a weekday is already a working day; never let one hide a holiday.
        if day.weekday() in WEEKEND and day not in source_days
    ]
    return sorted(p for p in planned if first_year <= p.date.year <= last_year)


def prefill_calendar(
    first_year: int = FIRST_YEAR,
    last_year: int = LAST_YEAR,
    *,
    force: bool = False,
    include_culture_day: bool = True,
    dry_run: bool = False,
) -> PrefillResult:
    """Add the package's exception days to ``CalendarDay`` without touching existing rows.

    Years that already have rows are skipped unless ``force`` (module docstring).
    """
    planned = package_days(first_year, last_year, include_culture_day=include_culture_day)
    result = PrefillResult()
    with transaction.atomic():
        existing = set(
            CalendarDay.objects.filter(
                date__gte=dt.date(first_year, 1, 1), date__lte=dt.date(last_year, 12, 31)
            ).values_list("date", flat=True)
        )
        curated_years = {day.year for day in existing}
        skipped: set[int] = set()
        for day in planned:
            if day.date in existing:
                result.kept += 1
            elif day.date.year in curated_years and not force:
                skipped.add(day.date.year)
            else:
                result.created.append(day)
        result.skipped_years = sorted(skipped)
        if result.created and not dry_run:
            CalendarDay.objects.bulk_create(
                [CalendarDay(date=d.date, kind=d.kind, name=d.name) for d in result.created],
                ignore_conflicts=True,  # a concurrent prefill or admin save wins, never overwritten
            )
            invalidate_calendar_cache()  # bulk_create sends no post_save
    return result
