"""Rebuilding the statistics tables from the dossiers (``manage.py rebuild_stats``).

Set-based: for each kind of flow (received, refused, withdrawn, result ready, returned,
rated) two grouped queries — by (day, agency, gov level, service level) and by (month,
procedure, agency, levels) — let the database scan and sum; Python only merges a few thousand
grouped rows per month and bulk-inserts them. Monthly rows are the daily ones summed. A range
is widened to whole months (the monthly tables cannot hold part of a month).

Concurrency (see ``aggregation``): on PostgreSQL, outside any transaction, the rebuild holds the
exclusive advisory lock and works in one REPEATABLE READ transaction, so increments wait for it
and every event is counted once, by the rebuild or by its increment.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.db.models.lookups import Exact, GreaterThan, LessThan
from django.utils import timezone

from dossiers.models import Attachment, AttachmentKind, Dossier, DossierEvent, Rating
from dossiers.models_stats import (
    COUNTERS,
    DailyStats,
    MonthlyStats,
    ProcedureMonthlyStats,
    StatsLedger,
    StepDailyStats,
)
from dossiers.statistics import cache as stats_cache
from dossiers.statistics import rebuild_sql, steps, stock
from dossiers.statistics.aggregation import (
    LOCK_KEY,
    ONE_MICROSECOND,
    day_start,
    local_day,
    local_tz,
    month_of,
)

#: Events this recent may still be waiting for their increment when a rebuild counts them.
RECENT = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Fact:
    """One kind of flow: the model and timestamp it is dated by, and its counters."""

    model: type
    field: str
    prefix: str  # path from ``model`` to the dossier ("" or "dossier__")
    condition: Q
    counters: Callable[[], dict]


def _resolved_counters() -> dict:
    tz = local_tz()
    returned = TruncDate("returned_at", tzinfo=tz)
    due = TruncDate(Coalesce("original_due_at", "due_at"), tzinfo=tz)
    electronic = Exists(
        Attachment.objects.filter(dossier_id=OuterRef("pk"), kind=AttachmentKind.RESULT)
    )
    elapsed = ExpressionWrapper(
        Coalesce("completed_at", "returned_at") - F("received_at"), output_field=DurationField()
    )
    return {
        "resolved": Count("id"),
        "resolved_early": Count("id", filter=LessThan(returned, due)),
        "resolved_on_time": Count("id", filter=Exact(returned, due)),
        "resolved_late": Count("id", filter=GreaterThan(returned, due)),
        "resolved_electronic": Count("id", filter=electronic),
        "resolved_with_fee": Count("id", filter=Q(fee_vnd__gt=0) | Q(payment_due_vnd__gt=0)),
        "resolved_paid_online": Count("id", filter=Q(paid_online=True)),
        "processing_us": Sum(elapsed),
    }


FACTS = (
    Fact(Dossier, "received_at", "", Q(received_at__isnull=False), lambda: {
        "received": Count("id"),
        "received_direct": Count("id", filter=Q(channel="direct")),
        "received_online": Count("id", filter=Q(channel="online")),
        "received_postal": Count("id", filter=Q(channel="postal")),
    }),
    Fact(Dossier, "closed_at", "", Q(status=3, closed_at__isnull=False), lambda: {
        "refused": Count("id"),
    }),
    Fact(Dossier, "closed_at", "", Q(status=7, closed_at__isnull=False), lambda: {
        "withdrawn": Count("id"),
        "withdrawn_received": Count("id", filter=Q(received_at__isnull=False)),
    }),
    Fact(Dossier, "completed_at", "", Q(completed_at__isnull=False), lambda: {
        "completed": Count("id"),
    }),
    Fact(Dossier, "returned_at", "", Q(returned_at__isnull=False), _resolved_counters),
    Fact(Rating, "created_at", "dossier__", Q(), lambda: {
        f"rating_{score}": Count("id", filter=Q(score=score)) for score in range(1, 6)
    }),
)  # fmt: skip


def _number(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime.timedelta):
        return value // ONE_MICROSECOND
    return int(value)


def _grouped(fact: Fact, start, end, by_procedure: bool):
    tz = local_tz()
    queryset = fact.model.objects.filter(fact.condition)
    if start is not None:
        queryset = queryset.filter(**{f"{fact.field}__gte": start})
    if end is not None:
        queryset = queryset.filter(**{f"{fact.field}__lt": end})
    p = fact.prefix
    keys = {
        "k_when": (
            TruncMonth(fact.field, tzinfo=tz) if by_procedure else TruncDate(fact.field, tzinfo=tz)
        ),
        "k_agency": F(f"{p}receiving_agency_id"),
        "k_gov": F(f"{p}procedure_version__gov_level"),
        "k_service": F(f"{p}procedure_version__service_level"),
    }
    if by_procedure:
        keys["k_procedure"] = F(f"{p}procedure_id")
    return queryset.values(**keys).annotate(**fact.counters()).order_by()


def compute_flows(start: datetime.datetime | None, end: datetime.datetime | None):
    """Counters by (day, agency, gov, service) and by (month, procedure, agency, gov, service)
    for the flows dated in [start, end) (None: unbounded)."""
    daily: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    procedures: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for fact in FACTS:
        names = list(fact.counters())
        for row in _grouped(fact, start, end, by_procedure=False):
            target = daily[(row["k_when"], row["k_agency"], row["k_gov"], row["k_service"])]
            for name in names:
                target[name] += _number(row[name])
        for row in _grouped(fact, start, end, by_procedure=True):
            month = row["k_when"]
            month = (
                month.astimezone(local_tz()).date()
                if isinstance(month, datetime.datetime)
                else month
            )
            key = (month, row["k_procedure"], row["k_agency"], row["k_gov"], row["k_service"])
            target = procedures[key]
            for name in names:
                target[name] += _number(row[name])
    return daily, procedures


def _monthly(daily: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    months: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for (day, agency, gov, service), counters in daily.items():
        target = months[(month_of(day), agency, gov, service)]
        for name, value in counters.items():
            target[name] += value
    return months


def _write(daily, months, procedures, first_day, end_day) -> None:
    def window(model, field):
        queryset = model.objects.all()
        if first_day is not None:
            queryset = queryset.filter(**{f"{field}__gte": first_day})
        if end_day is not None:
            queryset = queryset.filter(**{f"{field}__lt": end_day})
        return queryset

    window(DailyStats, "day").delete()
    window(MonthlyStats, "month").delete()
    window(ProcedureMonthlyStats, "month").delete()
    DailyStats.objects.bulk_create(
        [
            DailyStats(day=d, agency_id=a, gov_level=g, service_level=s, **c)
            for (d, a, g, s), c in daily.items()
        ],
        batch_size=5000,
    )
    MonthlyStats.objects.bulk_create(
        [
            MonthlyStats(month=m, agency_id=a, gov_level=g, service_level=s, **c)
            for (m, a, g, s), c in months.items()
        ],
        batch_size=5000,
    )
    ProcedureMonthlyStats.objects.bulk_create(
        [
            ProcedureMonthlyStats(
                month=m, procedure_id=p, agency_id=a, gov_level=g, service_level=s, **c
            )
            for (m, p, a, g, s), c in procedures.items()
        ],
        batch_size=5000,
    )


def _claim_recent(start, end) -> None:
    """Mark the recent events and ratings this rebuild counted, so their increments (waiting
    behind the lock) skip them."""
    since = timezone.now() - RECENT
    events = DossierEvent.objects.filter(at__gte=since)
    ratings = Rating.objects.filter(created_at__gte=since)
    if start is not None:
        events, ratings = events.filter(at__gte=start), ratings.filter(created_at__gte=start)
    if end is not None:
        events, ratings = events.filter(at__lt=end), ratings.filter(created_at__lt=end)
    rows = [StatsLedger(kind="e", ref=pk, at=at) for pk, at in events.values_list("pk", "at")]
    rows += [
        StatsLedger(kind="r", ref=pk, at=at) for pk, at in ratings.values_list("pk", "created_at")
    ]
    StatsLedger.objects.bulk_create(rows, batch_size=5000, ignore_conflicts=True)


@contextmanager
def _exclusive():
    """The exclusive side of the statistics lock, and one snapshot for the whole rebuild."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    if connection.in_atomic_block:  # inside a caller's transaction (tests, other commands)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


@dataclass
class RebuildResult:
    first: datetime.date | None
    last: datetime.date | None
    days: int
    months: int
    procedure_months: int
    steps: int
    snapshots: int


def data_span() -> tuple[datetime.date, datetime.date] | None:
    """The first and last local days any dossier flow is dated on (4 cheap aggregates)."""
    from django.db.models import Max, Min

    bounds = Dossier.objects.aggregate(
        first_submitted=Min("submitted_at"),
        first_received=Min("received_at"),
        last_closed=Max("closed_at"),
        last_completed=Max("completed_at"),
        last_received=Max("received_at"),
    )
    firsts = [v for k, v in bounds.items() if k.startswith("first") and v]
    lasts = [v for k, v in bounds.items() if k.startswith("last") and v]
    last_rating = Rating.objects.aggregate(last=Max("created_at"))["last"]
    if last_rating:
        lasts.append(last_rating)
    if not firsts:
        return None
    return local_day(min(firsts)), local_day(max(lasts or firsts))


def rebuild(first: datetime.date | None = None, last: datetime.date | None = None) -> RebuildResult:
    """Recompute every statistics table for the months of [first, last] (None: everything)."""
    first_day = month_of(first) if first else None
    end_day = (month_of(last) + datetime.timedelta(days=32)).replace(day=1) if last else None
    start = day_start(first_day) if first_day else None
    end = day_start(end_day) if end_day else None
    with _exclusive():
        if connection.vendor == "postgresql":
            days, months, procedure_months = rebuild_sql.rebuild_flows(
                start, end, first_day, end_day
            )
        else:
            daily, procedures = compute_flows(start, end)
            monthly = _monthly(daily)
            _write(daily, monthly, procedures, first_day, end_day)
            days, months, procedure_months = len(daily), len(monthly), len(procedures)
        span = data_span()
        today = local_day(timezone.now())
        lowest = first_day or (span[0] if span else today)
        beyond = end_day or today + datetime.timedelta(days=1)
        if first_day is None:
            StepDailyStats.objects.filter(day__lt=lowest).delete()
        step_rows = steps.rebuild_steps(day_start(lowest), day_start(beyond))
        snapshots = stock.rebuild_snapshots(lowest, beyond - datetime.timedelta(days=1))
        _claim_recent(start, end)
        transaction.on_commit(stats_cache.bump_generation)
    return RebuildResult(
        first=first_day,
        last=(end_day - datetime.timedelta(days=1)) if end_day else None,
        days=days,
        months=months,
        procedure_months=procedure_months,
        steps=step_rows,
        snapshots=snapshots,
    )
