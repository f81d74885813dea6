"""Working time: the arithmetic behind every legal deadline (domain.md "Deadlines").

A deadline of an administrative procedure is counted in *working time*: the office sessions of a
working day (default 07:00–11:30 and 13:30–17:00, i.e. 8 h; editable in the ``OfficeHours``
table), Monday to Friday, minus public holidays, plus make-up working days (ngày làm bù, usually a
Saturday). The exceptions live in ``CalendarDay`` (pre-filled by ``portal.calendar_data``,
edited by administrators).

Conventions, chosen because they decide citizens' deadlines:

* Times are aware datetimes; they are converted to ``settings.TIME_ZONE`` (Asia/Ho_Chi_Minh,
  UTC+7 with no daylight saving) and results come back in that zone. Naive input is refused.
* A session is the half-open interval ``[start, end)``: 11:30 is already lunch, 17:00 is after
  hours. A moment outside a session (lunch, evening, weekend, holiday) counts from the start of
  the next session, so a dossier received at 17:30 starts at 07:00 the next working day and one
  received at 12:00 starts at 13:30.
* Adding a positive amount that exactly uses up a session ends *at* that session's end (07:00 +
  8 h = 17:00 the same day, not 07:00 the next day); adding zero gives the next working moment.
* ``working_days`` = amount × ``hours_per_day`` of working time, so a fraction (0.5 day) works;
  ``calendar_days`` = the date of the clock start + N calendar days, due at the end of that day's
  last session, moved to the end of the next working day when that day is not a working day
  (a calendar-day deadline never ends on a day off). The clock start is the next working moment
  for every unit: a dossier received after hours counts as received on the next working day.
* Hours are ``Decimal``; durations are exact to the microsecond (a float is read through ``str``
  so ``0.1`` means 0.1), so ``add_working_hours(a, working_hours_between(a, b))`` returns ``b``
  when ``b`` is inside a session (this is how paused time is added back to a due date).

``get_calendar()`` loads the whole table (a few hundred rows) with at most two queries and keeps
the immutable ``WorkCalendar`` in Django's cache for 10 minutes; ``portal.signals`` invalidates it
whenever a ``CalendarDay`` or ``OfficeHours`` row is saved or deleted.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings

from portal import generations

Session = tuple[dt.time, dt.time]

DEFAULT_SESSIONS: tuple[Session, ...] = (
    (dt.time(7, 0), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(17, 0)),
)
WEEKEND = frozenset({5, 6})  # Saturday, Sunday (date.weekday())
UNITS = ("working_days", "working_hours", "calendar_days")
GENERATION_KEY = "portal:worktime:calendar:generation"
CACHE_TIMEOUT = 600  # seconds a process keeps its copy; saves and deletes end it at once
# (portal/signals.py)
# A search for the next working moment gives up after this many days: no real calendar has a
# year without a working day, so reaching it means the amount or the data is absurd.
_MAX_SCAN_DAYS = 366 * 30
_US_PER_HOUR = Decimal(3_600_000_000)
_ONE_DAY = dt.timedelta(days=1)


def _amount(value: Decimal | float | int) -> Decimal:
    """A finite, non-negative amount as a Decimal (a float is read through ``str``)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | float | int):
        raise TypeError(f"expected a Decimal, float or int, not {type(value).__name__}")
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"expected a finite non-negative amount, got {value!r}")
    return amount


def _hours_to_delta(hours: Decimal | float | int) -> dt.timedelta:
    microseconds = (_amount(hours) * _US_PER_HOUR).to_integral_value(rounding=ROUND_HALF_EVEN)
    if microseconds > _MAX_SCAN_DAYS * 24 * _US_PER_HOUR:
        raise ValueError("working time too large for the calendar")
    return dt.timedelta(microseconds=int(microseconds))


def _delta_to_hours(delta: dt.timedelta) -> Decimal:
    return Decimal(delta // dt.timedelta(microseconds=1)) / _US_PER_HOUR


def _normalize_sessions(sessions: Iterable[Session]) -> tuple[Session, ...]:
    """Sort the sessions and merge overlapping or touching ones (never count an hour twice)."""
    merged: list[list[dt.time]] = []
    for start, end in sorted(sessions):
        if not start < end:
            raise ValueError(f"a session must end after it starts: {start}–{end}")
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        raise ValueError("a work calendar needs at least one office session")
    return tuple((start, end) for start, end in merged)


@dataclass(frozen=True)
class WorkCalendar:
    """Immutable working calendar: office sessions plus exception days.

    ``holidays`` are days off (only weekdays matter: a holiday on a weekend is already off),
    ``working_days`` are make-up working days (only weekend days matter). A date in both is a
    working day: an explicit make-up decision is the later, more specific one.
    """

    sessions: tuple[Session, ...] = DEFAULT_SESSIONS
    holidays: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()
    tz_name: str = ""
    # Sorted lists for counting working days between two dates without a loop.
    _weekday_holidays: tuple[dt.date, ...] = field(init=False, repr=False, compare=False)
    _weekend_working: tuple[dt.date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "sessions", _normalize_sessions(self.sessions))
        set_(self, "holidays", frozenset(self.holidays))
        set_(self, "working_days", frozenset(self.working_days))
        set_(self, "tz_name", self.tz_name or settings.TIME_ZONE)
        set_(
            self,
            "_weekday_holidays",
            tuple(
                sorted(
                    d
                    for d in self.holidays
                    if d.weekday() not in WEEKEND and d not in self.working_days
                )
            ),
        )
        set_(
            self,
            "_weekend_working",
            tuple(sorted(d for d in self.working_days if d.weekday() in WEEKEND)),
        )

    # --- days -----------------------------------------------------------------------------

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name)

    @cached_property
    def hours_per_day(self) -> Decimal:
        """Working hours in one working day (8 with the default sessions)."""
        return _delta_to_hours(self._day_length)

    @cached_property
    def _day_length(self) -> dt.timedelta:
        return sum(
            (
                _combine(dt.date.min, end) - _combine(dt.date.min, start)
                for start, end in self.sessions
            ),
            dt.timedelta(),
        )

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() not in WEEKEND

    def _working_days_in(self, first: dt.date, stop: dt.date) -> int:
        """Number of working days in ``[first, stop)``, without iterating over the days."""
        if stop <= first:
            return 0
        weeks, rest = divmod((stop - first).days, 7)
        weekdays = weeks * 5 + sum(
            1 for i in range(rest) if (first.weekday() + i) % 7 not in WEEKEND
        )
        holidays = bisect.bisect_left(self._weekday_holidays, stop) - bisect.bisect_left(
            self._weekday_holidays, first
        )
        extra = bisect.bisect_left(self._weekend_working, stop) - bisect.bisect_left(
            self._weekend_working, first
        )
        return weekdays - holidays + extra

    def add_working_days_to_date(self, day: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``day`` (before it when negative); ``day`` itself
        when ``days`` is 0. Fri 2025-01-24 + 1 → Mon 2025-02-03 (Tết 2025 in between)."""
        if isinstance(days, bool) or not isinstance(days, int):
            raise TypeError("days must be an int")
        step = _ONE_DAY if days >= 0 else -_ONE_DAY
        remaining, scanned = abs(days), 0
        while remaining:
            day += step
            scanned += 1
            if scanned > _MAX_SCAN_DAYS + abs(days) * 7:
                raise ValueError("no working day found: check the calendar data")
            if self.is_working_day(day):
                remaining -= 1
        return day

    # --- moments --------------------------------------------------------------------------

    def _local(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` as a naive wall-clock time in the calendar's zone."""
        if not isinstance(moment, dt.datetime):
            raise TypeError("expected a datetime")
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("working-time arithmetic needs an aware datetime")
        return moment.astimezone(self.tz).replace(tzinfo=None)

    def _aware(self, local: dt.datetime) -> dt.datetime:
        return local.replace(tzinfo=self.tz)

    def _day_sessions(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        return [(_combine(day, s), _combine(day, e)) for s, e in self.sessions]

    def _day_end(self, day: dt.date) -> dt.datetime:
        return _combine(day, self.sessions[-1][1])

    def _add_local(self, local: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        remaining = amount
        day = local.date()
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                for start, end in self._day_sessions(day):
                    begin = max(local, start)
                    if begin >= end:
                        continue
                    if remaining <= end - begin:
                        return begin + remaining
                    remaining -= end - begin
                # Jump over the whole working days that the remaining time certainly spans
                # (keeping a non-zero remainder, so an exact multiple ends at a day's end).
                if remaining > self._day_length:
                    whole = (remaining - dt.timedelta(microseconds=1)) // self._day_length
                    day = self.add_working_days_to_date(day, whole)
                    remaining -= self._day_length * whole
            day += _ONE_DAY
            local = _combine(day, dt.time.min)
        raise ValueError("working time too large for the calendar")

    def next_working_moment(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself when inside a session, else the start of the next session."""
        return self._aware(self._add_local(self._local(moment), dt.timedelta()))

    def add_working_hours(self, start: dt.datetime, hours: Decimal | float | int) -> dt.datetime:
        """The moment when ``hours`` of working time counted from ``start`` have elapsed."""
        return self._aware(self._add_local(self._local(start), _hours_to_delta(hours)))

    def _overlap(self, day: dt.date, begin: dt.datetime, end: dt.datetime) -> dt.timedelta:
        total = dt.timedelta()
        if not self.is_working_day(day):
            return total
        for s, e in self._day_sessions(day):
            low, high = max(begin, s), min(end, e)
            if high > low:
                total += high - low
        return total

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> Decimal:
        """Working hours in ``[start, end)``; 0 when ``end <= start``."""
        begin, finish = self._local(start), self._local(end)
        if finish <= begin:
            return Decimal(0)
        first, last = begin.date(), finish.date()
        if first == last:
            return _delta_to_hours(self._overlap(first, begin, finish))
        total = self._overlap(first, begin, _combine(first + _ONE_DAY, dt.time.min))
        total += self._overlap(last, _combine(last, dt.time.min), finish)
        total += self._day_length * self._working_days_in(first + _ONE_DAY, last)
        return _delta_to_hours(total)

    def due_at(self, start: dt.datetime, amount: Decimal | float | int, unit: str) -> dt.datetime:
        """The deadline of a processing time of ``amount`` ``unit`` counted from ``start``.

        ``unit`` is ``working_days``, ``working_hours`` or ``calendar_days`` (module docstring).
        """
        if unit == "working_hours":
            return self.add_working_hours(start, amount)
        if unit == "working_days":
            return self.add_working_hours(start, _amount(amount) * self.hours_per_day)
        if unit == "calendar_days":
            days = _amount(amount)
            if days != days.to_integral_value():
                raise ValueError(f"calendar days must be a whole number, got {amount!r}")
            if days > _MAX_SCAN_DAYS:
                raise ValueError("calendar days too large")
            clock_start = self._local(self.next_working_moment(start))
            day = clock_start.date() + dt.timedelta(days=int(days))
            if not self.is_working_day(day):
                day = self.add_working_days_to_date(day, 1)
            return self._aware(self._day_end(day))
        raise ValueError(f"unknown deadline unit {unit!r}; expected one of {', '.join(UNITS)}")


def _combine(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time)


# --- loading from the database ----------------------------------------------------------------


def load_calendar() -> WorkCalendar:
    """Build the calendar from the database: one query per table, every row at once."""
    from portal.models import CalendarDay, CalendarDayKind, OfficeHours

    holidays: set[dt.date] = set()
    working: set[dt.date] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        (working if kind == CalendarDayKind.WORKING else holidays).add(day)
    sessions = list(OfficeHours.objects.order_by("start").values_list("start", "end"))
    return WorkCalendar(
        sessions=tuple(sessions) or DEFAULT_SESSIONS,
        holidays=frozenset(holidays),
        working_days=frozenset(working),
    )


#: This process's copy: (generation it was loaded under, when, the calendar).
_local: tuple[str, float, WorkCalendar] | None = None


def _generation() -> str:
    """The calendar's generation in the shared cache, created when missing (first use, a
    flushed cache): every change replaces it (``invalidate_calendar_cache``)."""
    return generations.current(GENERATION_KEY)


def get_calendar() -> WorkCalendar:
    """The current working calendar: this process's copy while the shared generation is the
    one it was loaded under (one small cache read, no unpickling), else from the database (two
    queries). The generation is read before loading, so a copy is never newer-looking than its
    rows; a copy older than ``CACHE_TIMEOUT`` is reloaded anyway (rows changed without
    signals, e.g. ``bulk_create``)."""
    global _local
    current = _generation()
    now = time.monotonic()
    local = _local
    if local is not None and local[0] == current and now - local[1] < CACHE_TIMEOUT:
        return local[2]
    calendar = load_calendar()
    _local = (current, now, calendar)
    return calendar


def invalidate_calendar_cache() -> None:
    """Forget every process's copy: a new generation now (this process, and readers that would
    otherwise keep a copy from before the change) and again when the current transaction
    commits (a reader that loaded the old rows while the change was uncommitted does not keep
    them)."""
    global _local
    _local = None
    generations.replace_now_and_on_commit([GENERATION_KEY])
