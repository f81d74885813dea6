"""The filters of the statistics (page, exports, API): period, levels, agency, scope.

Query parameters: ``year``; ``quarter`` (1–4) or ``month`` (1–12) within the year; or a range
``from`` / ``to`` (ISO dates); ``gov_level`` (province, district, commune); ``service_level``
(1–4); ``agency`` (agency code). Invalid values give Vietnamese field errors (HTTP 400), never a
server error; an agency outside the caller's scope is refused (403).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.models import Agency, UnitLevel

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_LENGTH = 40


class ParamError(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


class OutOfScope(Exception):
    """The agency asked for is not one the caller may see figures of."""


@dataclass(frozen=True)
class Period:
    kind: str  # "year" | "quarter" | "month" | "range"
    start: datetime.date
    end: datetime.date  # inclusive
    year: int | None = None
    quarter: int | None = None
    month: int | None = None

    @property
    def label(self) -> str:
        if self.kind == "year":
            return _("Năm %(year)s") % {"year": self.year}
        if self.kind == "quarter":
            return _("Quý %(quarter)s năm %(year)s") % {"quarter": self.quarter, "year": self.year}
        if self.kind == "month":
            return _("Tháng %(month)s/%(year)s") % {"month": self.month, "year": self.year}
        return _("Từ %(start)s đến %(end)s") % {
            "start": self.start.strftime("%d/%m/%Y"),
            "end": self.end.strftime("%d/%m/%Y"),
        }

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "year": self.year,
            "quarter": self.quarter,
            "month": self.month,
            "label": self.label,
        }


@dataclass(frozen=True)
class StatsQuery:
    period: Period
    gov_level: str | None = None
    service_level: int | None = None
    agency: Agency | None = None
    #: Agency ids the caller may see figures of; None = every agency (public figures).
    scope: frozenset[int] | None = field(default=None)

    def dims(self) -> dict:
        """ORM filters on the statistics tables' dimensions."""
        result: dict = {}
        if self.gov_level:
            result["gov_level"] = self.gov_level
        if self.service_level:
            result["service_level"] = self.service_level
        if self.agency is not None:
            result["agency_id"] = self.agency.pk
        elif self.scope is not None:
            result["agency_id__in"] = sorted(self.scope)
        return result


def year_period(year: int) -> Period:
    return Period("year", datetime.date(year, 1, 1), datetime.date(year, 12, 31), year=year)


def quarter_period(year: int, quarter: int) -> Period:
    first = 3 * (quarter - 1) + 1
    last = first + 2
    return Period(
        "quarter",
        datetime.date(year, first, 1),
        datetime.date(year, last, calendar.monthrange(year, last)[1]),
        year=year,
        quarter=quarter,
    )


def month_period(year: int, month: int) -> Period:
    return Period(
        "month",
        datetime.date(year, month, 1),
        datetime.date(year, month, calendar.monthrange(year, month)[1]),
        year=year,
        month=month,
    )


class _Reader:
    def __init__(self, data: Mapping):
        self.data = data
        self.errors: dict[str, list[str]] = {}

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        value = str(value).strip()
        if not value:
            return None
        if "\x00" in value or len(value) > MAX_LENGTH:
            self.errors.setdefault(name, []).append(_("Giá trị không hợp lệ."))
            return None
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or not low <= number <= high:
            self.errors.setdefault(name, []).append(
                _("Nhập số nguyên từ %(low)s đến %(high)s.") % {"low": low, "high": high}
            )
            return None
        return number

    def date(self, name: str) -> datetime.date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            day = None
        if day is None or not MIN_YEAR <= day.year <= MAX_YEAR:
            self.errors.setdefault(name, []).append(_("Nhập ngày theo dạng YYYY-MM-DD."))
            return None
        return day

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def parse(data: Mapping, *, default_year: int, scope: frozenset[int] | None = None) -> StatsQuery:
    """A ``StatsQuery`` from query parameters; ``ParamError`` with field errors, or
    ``OutOfScope`` for an agency the caller may not see."""
    reader = _Reader(data)
    year = reader.integer("year", MIN_YEAR, MAX_YEAR)
    quarter = reader.integer("quarter", 1, 4)
    month = reader.integer("month", 1, 12)
    start = reader.date("from")
    end = reader.date("to")
    gov_level = reader.text("gov_level")
    if gov_level is not None and gov_level not in UnitLevel.values:
        choices = ", ".join(UnitLevel.values)
        reader.add("gov_level", _("Chọn một trong: %(values)s.") % {"values": choices})
        gov_level = None
    service_level = reader.integer("service_level", 1, 4)
    agency_code = reader.text("agency")
    if quarter and month:
        reader.add("month", _("Chỉ chọn quý hoặc tháng, không chọn cả hai."))
    if (start or end) and (year or quarter or month):
        reader.add("from", _("Chọn năm/quý/tháng hoặc khoảng ngày, không chọn cả hai."))
    if start and end and start > end:
        reader.add("to", _("Ngày kết thúc phải từ ngày bắt đầu trở đi."))
    agency = None
    if agency_code is not None and not reader.errors:
        agency = Agency.objects.filter(code=agency_code).first()
        if agency is None:
            reader.add("agency", _("Không tìm thấy cơ quan có mã này."))
    if reader.errors:
        raise ParamError(reader.errors)
    if agency is not None and scope is not None and agency.pk not in scope:
        raise OutOfScope(agency_code)
    if start or end:
        if start is None:
            start = datetime.date(end.year, 1, 1)
        if end is None:
            end = max(start, timezone.localdate())
        period = Period("range", start, end)
    else:
        year = year or default_year
        if quarter:
            period = quarter_period(year, quarter)
        elif month:
            period = month_period(year, month)
        else:
            period = year_period(year)
    return StatsQuery(
        period=period,
        gov_level=gov_level,
        service_level=service_level,
        agency=agency,
        scope=scope,
    )
