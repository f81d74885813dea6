"""The figures behind ``/stats/``, ``/desk/reports/`` and ``/api/v1/stats/summary/``.

Everything is read from the statistics tables with a fixed number of queries whatever the
number of dossiers (asserted in tests at two data sizes): periods made of whole months read the
monthly rows (at most months × agencies × levels rows, summed by the database); the days of a
``from``/``to`` range outside whole months read the daily rows. Per-procedure figures are
monthly, so a range that cuts a month shows that month's procedures whole.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import F, Q, Sum
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.models_stats import (
    COUNTERS,
    DailyStats,
    MonthlyStats,
    ProcedureMonthlyStats,
    StepDailyStats,
    StockSnapshot,
    StockSnapshotDay,
)
from dossiers.statistics.aggregation import month_of
from dossiers.statistics.catalog import (  # noqa: F401  (re-exported for views and API)
    agencies_with_data,
    catalog_figures,
    default_year,
    years_with_data,
)
from dossiers.statistics.figures import Figures, Row, share
from dossiers.statistics.params import Period, StatsQuery
from portal.models import Agency, UnitLevel
from procedures.models import ProcedureVersion, ServiceLevel

STOCK_COUNTERS = ("received", "resolved", "withdrawn_received")
ONLINE_SCOPE = {
    4: _("Toàn trình"),
    3: _("Một phần"),
    2: _("Cung cấp thông tin"),
    1: _("Cung cấp thông tin"),
}


def next_month(day: datetime.date) -> datetime.date:
    return (month_of(day) + datetime.timedelta(days=32)).replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    return next_month(day) - datetime.timedelta(days=1)


def service_level_label(level: int) -> str:
    return f"{ServiceLevel(level).label} ({ONLINE_SCOPE.get(level, '')})"


# --- flows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    model: type
    field: str
    first: datetime.date
    last: datetime.date


def parts(start: datetime.date, end: datetime.date) -> list[Part]:
    """[start, end] as whole months of the monthly table plus edge days of the daily one."""
    first_full = start if start.day == 1 else next_month(start)
    last_full = end if end == month_end(end) else month_of(end) - datetime.timedelta(days=1)
    if first_full > last_full:
        return [Part(DailyStats, "day", start, end)]
    result = [Part(MonthlyStats, "month", first_full, month_of(last_full))]
    if start < first_full:
        result.append(Part(DailyStats, "day", start, first_full - datetime.timedelta(days=1)))
    if last_full < end:
        result.append(Part(DailyStats, "day", last_full + datetime.timedelta(days=1), end))
    return result


Group = Callable[[Part], tuple[list[str], dict]]


def by_fields(*names: str) -> Group:
    return lambda part: (list(names), {})


def by_month(part: Part) -> tuple[list[str], dict]:
    return [], {"k_month": F("month") if part.field == "month" else TruncMonth("day")}


def by_year(part: Part) -> tuple[list[str], dict]:
    return [], {"k_year": ExtractYear(part.field)}


def summed(
    q: StatsQuery, pieces: Iterable[Part], group: Group, counters: Iterable[str] = COUNTERS
) -> list[dict]:
    """Counter sums over ``pieces`` grouped by ``group`` (one query per piece; rows merged)."""
    counters = list(counters)
    merged: dict[tuple, dict] = {}
    for part in pieces:
        names, expressions = group(part)
        rows = (
            part.model.objects.filter(
                **{f"{part.field}__gte": part.first, f"{part.field}__lte": part.last}, **q.dims()
            )
            .values(*names, **expressions)
            .annotate(**{f"s_{c}": Sum(c) for c in counters})
            .order_by()
        )
        for row in rows:
            key = tuple(row[k] for k in [*names, *expressions])
            target = merged.setdefault(key, {k: row[k] for k in [*names, *expressions]})
            for counter in counters:
                target[counter] = target.get(counter, 0) + int(row[f"s_{counter}"] or 0)
    return list(merged.values())


def before(q: StatsQuery, day: datetime.date) -> list[Part]:
    """Everything dated before ``day``."""
    result = [
        Part(
            MonthlyStats,
            "month",
            datetime.date(1, 1, 1),
            month_of(day) - datetime.timedelta(days=1),
        )
    ]
    if day.day != 1:
        result.append(Part(DailyStats, "day", month_of(day), day - datetime.timedelta(days=1)))
    return result


# --- stock snapshots ------------------------------------------------------------------------


@dataclass
class Stock:
    day: datetime.date | None = None
    taken_at: datetime.datetime | None = None
    #: Overdue totals of every snapshot day asked for.
    by_day: dict[datetime.date, int] = field(default_factory=dict)
    #: Overdue at ``day`` per (agency, gov level, service level).
    rows: list[dict] = field(default_factory=list)

    def at(self, last: datetime.date, today: datetime.date) -> int | None:
        """Overdue at the end of a bucket ending ``last`` (None: not known)."""
        if last < today and last in self.by_day:
            return self.by_day[last]
        if self.day is not None and last >= self.day and month_of(last) <= self.day:
            return self.by_day.get(self.day)
        return None


def stock(q: StatsQuery, wanted: Iterable[datetime.date]) -> Stock:
    """The latest snapshot within the period, and the overdue totals at ``wanted`` days."""
    today = timezone.localdate()
    period = q.period
    wanted = {day for day in wanted if day < today}
    latest_window = Q(day__gte=period.start, day__lte=min(period.end, today))
    days = dict(
        StockSnapshotDay.objects.filter(latest_window | Q(day__in=wanted)).values_list(
            "day", "taken_at"
        )
    )
    result = Stock()
    in_period = [d for d in days if period.start <= d <= min(period.end, today)]
    if in_period:
        result.day = max(in_period)
        result.taken_at = days[result.day]
    chosen = {d for d in wanted if d in days} | ({result.day} if result.day else set())
    if not chosen:
        return result
    result.by_day = dict.fromkeys(chosen, 0)
    for row in (
        StockSnapshot.objects.filter(day__in=chosen, **q.dims())
        .values("day")
        .annotate(n=Sum("overdue"))
        .order_by()
    ):
        result.by_day[row["day"]] = int(row["n"] or 0)
    if result.day:
        result.rows = list(
            StockSnapshot.objects.filter(day=result.day, **q.dims()).values(
                "agency_id", "gov_level", "service_level", "overdue"
            )
        )
    return result


# --- the report -----------------------------------------------------------------------------


@dataclass
class ProcedureRow:
    code: str
    name: str
    figures: Figures


@dataclass
class Report:
    query: StatsQuery
    catalog: dict
    total: Figures
    months: list[Row]
    quarters: list[Row]
    years: list[Row]
    agencies: list[Row]
    gov_levels: list[Row]
    service_levels: list[Row]
    procedures: list[ProcedureRow]
    procedures_with_online: int
    stock_day: datetime.date | None
    stock_taken_at: datetime.datetime | None

    @property
    def period(self) -> Period:
        return self.query.period

    def indicators(self) -> dict:
        """Quyết định 766 indicators of the period."""
        online = self.catalog["level3"] + self.catalog["level4"]
        total = self.total
        return {
            "procedures_online_share": share(online, self.catalog["total"]),
            "procedures_with_online_dossiers": self.procedures_with_online,
            "procedures_with_online_dossiers_share": share(self.procedures_with_online, online),
            "online_filing_share": total.online_share,
            "online_payment_share": total.payment_share,
            "electronic_result_share": total.electronic_share,
            "on_time_share": total.on_time_share,
            "average_processing_days": total.average_days,
            "average_rating": total.average_rating,
            "satisfied_share": total.satisfied_share,
        }


def _carried(rows: list[dict], key: Callable[[dict], object]) -> dict[object, int]:
    result: dict[object, int] = defaultdict(int)
    for row in rows:
        result[key(row)] += row["received"] - row["resolved"] - row["withdrawn_received"]
    return result


def _overdue(stock_rows: list[dict], key: Callable[[dict], object]) -> dict[object, int]:
    result: dict[object, int] = defaultdict(int)
    for row in stock_rows:
        result[key(row)] += row["overdue"]
    return result


def _dimension_rows(
    q, pieces, carried_rows, stock_result, field_name, label, code=None
) -> list[Row]:
    names = [field_name] + ([code] if code else [])
    rows = summed(q, pieces, by_fields(*names, *(["agency__name"] if code else [])))
    flows = {row[field_name]: row for row in rows}
    carried = _carried(carried_rows, lambda r: r[field_name])
    overdue = _overdue(stock_result.rows, lambda r: r[field_name])
    keys = set(flows) | {k for k, v in carried.items() if v}
    result = []
    for value in keys:
        figures = Figures().add(flows.get(value, {}))
        figures.carried_over = carried.get(value, 0)
        figures.overdue = overdue.get(value, 0) if stock_result.day else None
        row = flows.get(value, {"agency__name": "", code: ""} if code else {})
        result.append(Row(key=str(value), label=label(value, row), figures=figures,
                          code=row.get(code, "") if code else ""))  # fmt: skip
    return result


def build_report(q: StatsQuery, *, procedure_limit: int | None = 20) -> Report:
    today = timezone.localdate()
    period = q.period
    pieces = parts(period.start, period.end)
    carried_rows = summed(
        q, before(q, period.start), by_fields("agency_id", "gov_level", "service_level"),
        STOCK_COUNTERS,
    )  # fmt: skip
    carried_total = sum(_carried(carried_rows, lambda r: 0).values())

    year_rows = summed(
        q,
        [Part(MonthlyStats, "month", datetime.date(1, 1, 1), datetime.date(9999, 12, 1))],
        by_year,
    )
    years_sorted = sorted(year_rows, key=lambda r: r["k_year"])
    month_rows = sorted(summed(q, pieces, by_month), key=lambda r: r["k_month"])

    month_ends = [month_end(r["k_month"]) for r in month_rows]
    year_ends = [datetime.date(r["k_year"], 12, 31) for r in years_sorted]
    stock_result = stock(q, [*month_ends, *year_ends, period.end])

    total = Figures(carried_over=carried_total)
    months: list[Row] = []
    running = carried_total
    for row in month_rows:
        figures = Figures(carried_over=running).add(row)
        running = figures.in_process
        figures.overdue = stock_result.at(month_end(row["k_month"]), today)
        total.add(row)
        label = _("Tháng %(month)s/%(year)s") % {
            "month": row["k_month"].month,
            "year": row["k_month"].year,
        }
        months.append(Row(key=row["k_month"].strftime("%Y-%m"), label=label, figures=figures))
    total.overdue = stock_result.by_day.get(stock_result.day) if stock_result.day else None

    quarters: list[Row] = []
    for row in months:
        month = datetime.date.fromisoformat(row.key + "-01")
        quarter = (month.month - 1) // 3 + 1
        key = f"{month.year}-Q{quarter}"
        if not quarters or quarters[-1].key != key:
            label = _("Quý %(quarter)s/%(year)s") % {"quarter": quarter, "year": month.year}
            quarters.append(
                Row(key=key, label=label, figures=Figures(carried_over=row.figures.carried_over))
            )
        quarters[-1].figures.add(row.figures.counts)
        quarters[-1].figures.overdue = row.figures.overdue

    years: list[Row] = []
    running = 0
    for row in years_sorted:
        figures = Figures(carried_over=running).add(row)
        running = figures.in_process
        figures.overdue = stock_result.at(datetime.date(row["k_year"], 12, 31), today)
        years.append(Row(key=str(row["k_year"]), label=str(row["k_year"]), figures=figures))

    gov_labels = dict(UnitLevel.choices)
    agencies = _dimension_rows(
        q, pieces, carried_rows, stock_result, "agency_id",
        lambda value, row: row.get("agency__name") or "", code="agency__code",
    )  # fmt: skip
    gov_levels = _dimension_rows(
        q, pieces, carried_rows, stock_result, "gov_level",
        lambda value, row: str(gov_labels.get(value, value)),
    )  # fmt: skip
    service_levels = _dimension_rows(
        q, pieces, carried_rows, stock_result, "service_level",
        lambda value, row: service_level_label(value),
    )  # fmt: skip
    _name_missing_agencies(agencies)
    agencies.sort(key=lambda r: (-r.figures.total, r.label))
    level_order = {value: index for index, value in enumerate(UnitLevel.values)}
    gov_levels.sort(key=lambda r: level_order.get(r.key, 99))
    service_levels.sort(key=lambda r: -int(r.key))

    procedures, with_online = procedure_rows(q, procedure_limit)
    return Report(
        query=q,
        catalog=catalog_figures(),
        total=total,
        months=months,
        quarters=quarters,
        years=years,
        agencies=agencies,
        gov_levels=gov_levels,
        service_levels=service_levels,
        procedures=procedures,
        procedures_with_online=with_online,
        stock_day=stock_result.day,
        stock_taken_at=stock_result.taken_at,
    )


def _name_missing_agencies(rows: list[Row]) -> None:
    """Agencies with only a carried-over stock have no flow row to carry their name."""
    missing = [row for row in rows if not row.label]
    if not missing:
        return
    agencies = Agency.objects.filter(pk__in=[int(r.key) for r in missing])
    names = {str(pk): (code, name) for pk, code, name in agencies.values_list("pk", "code", "name")}
    for row in missing:
        row.code, row.label = names.get(row.key, ("", row.key))


def procedure_rows(q: StatsQuery, limit: int | None) -> tuple[list[ProcedureRow], int]:
    """The busiest procedures of the period's months, and how many received online dossiers."""
    base = ProcedureMonthlyStats.objects.filter(
        month__gte=month_of(q.period.start), month__lte=month_of(q.period.end), **q.dims()
    )
    with_online = (
        base.values("procedure_id")
        .annotate(n=Sum("received_online"))
        .filter(n__gt=0)
        .order_by()
        .count()
    )
    rows = (
        base.values("procedure_id", "procedure__code")
        .annotate(**{c: Sum(c) for c in COUNTERS})
        .filter(Q(received__gt=0) | Q(resolved__gt=0))
        .order_by("-resolved", "-received", "procedure__code")
    )
    if limit is not None:
        rows = rows[:limit]
    rows = list(rows)
    names: dict[int, str] = {}
    for procedure_id, name in (
        ProcedureVersion.objects.filter(procedure_id__in=[r["procedure_id"] for r in rows])
        .order_by("procedure_id", "-number")
        .values_list("procedure_id", "name")
    ):
        names.setdefault(procedure_id, name)
    return (
        [
            ProcedureRow(
                code=row["procedure__code"],
                name=names.get(row["procedure_id"], ""),
                figures=Figures().add(row),
            )
            for row in rows
        ],
        with_online,
    )


# --- staff: per-step lateness ---------------------------------------------------------------


def step_rows(q: StatsQuery) -> dict[str, list[dict]]:
    """Steps finished in the period and how many late, by agency and by person."""
    filters = {"day__gte": q.period.start, "day__lte": q.period.end}
    if q.agency is not None:
        filters["agency_id"] = q.agency.pk
    elif q.scope is not None:
        filters["agency_id__in"] = sorted(q.scope)
    base = StepDailyStats.objects.filter(**filters)
    sums = {"steps": Sum("steps"), "late": Sum("late"), "late_us": Sum("late_us")}
    agencies = list(
        base.values("agency_id", "agency__code", "agency__name")
        .annotate(**sums)
        .order_by("-late", "agency__name")
    )
    people = list(
        base.values(
            "person_id", "person__username", "person__full_name", "agency__code", "agency__name"
        )
        .annotate(**sums)
        .order_by("-late", "person__full_name", "agency__name")
    )
    return {"agencies": agencies, "people": people}
