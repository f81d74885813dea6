"""Stock figures: dossiers in process and overdue at the end of a day.

"In process" needs no snapshot: it is received − returned − withdrawn-after-intake summed over
the flows up to a date, exact at any date (``queries.py`` computes it that way). "Overdue"
depends on the clock passing a deadline, which no transition records, so it is *taken*:

* **today**, live, by the hourly beat task (``tasks.refresh_stock``) with exactly the rule of
  ``DossierQuerySet.overdue`` (clock running and past the appointment, or stopped after it);
* **past month ends**, by the rebuild, from the dossiers' final dates: received before the end
  of the day, not closed by then, no result by then and an appointment before then. For
  dossiers that were paused across that day this uses the appointment as it ended up (the
  appointment in force on that day is not stored), so a historical figure can differ slightly
  from what a live snapshot would have said on the day; the live one is kept once taken.

``StockSnapshotDay`` records every day taken, so a day with nothing in process reads as zero
rather than falling back to an older snapshot.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q
from django.utils import timezone

from dossiers.models import PAUSED_STATUSES, RUNNING_STATUSES, Dossier, Status
from dossiers.models_stats import StockSnapshot, StockSnapshotDay
from dossiers.statistics.aggregation import day_start, local_day, month_of

#: Received and not closed: the clock runs, is stopped, or the result awaits return.
IN_PROCESS_STATUSES = sorted(RUNNING_STATUSES | PAUSED_STATUSES | {Status.RESULT_READY})
DIMS = {
    "k_agency": F("receiving_agency_id"),
    "k_gov": F("procedure_version__gov_level"),
    "k_service": F("procedure_version__service_level"),
}


def month_ends(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Last days of the months from ``first``'s to ``last``'s that fall within [first, last]."""
    days = []
    month = month_of(first)
    while month <= last:
        following = (month + datetime.timedelta(days=32)).replace(day=1)
        end = following - datetime.timedelta(days=1)
        if first <= end <= last:
            days.append(end)
        month = following
    return days


def _store(day: datetime.date, rows, taken_at: datetime.datetime) -> None:
    StockSnapshot.objects.filter(day=day).delete()
    StockSnapshot.objects.bulk_create(
        [
            StockSnapshot(
                day=day,
                agency_id=row["k_agency"],
                gov_level=row["k_gov"],
                service_level=row["k_service"],
                in_process=row["in_process"],
                overdue=row["overdue"],
            )
            for row in rows
            if row["in_process"] or row["overdue"]
        ],
        batch_size=5000,
    )
    StockSnapshotDay.objects.update_or_create(day=day, defaults={"taken_at": taken_at})


def take_live(now: datetime.datetime | None = None) -> datetime.date:
    """Today's stock as of ``now`` (one grouped query over the dossiers in process)."""
    now = now or timezone.now()
    overdue = Q(status__in=RUNNING_STATUSES, due_at__lt=now) | Q(
        status__in=PAUSED_STATUSES, due_at__lt=F("paused_at")
    )
    rows = (
        Dossier.objects.filter(status__in=IN_PROCESS_STATUSES)
        .values(**DIMS)
        .annotate(in_process=Count("id"), overdue=Count("id", filter=overdue))
        .order_by()
    )
    today = local_day(now)
    _store(today, rows, now)
    return today


def historical_rows(day: datetime.date) -> list[dict]:
    """The stock at the end of a past ``day`` from the dossiers' final dates (any database)."""
    end = day_start(day + datetime.timedelta(days=1))
    overdue = Q(due_at__lt=end) & (Q(completed_at__isnull=True) | Q(completed_at__gte=end))
    return list(
        Dossier.objects.filter(received_at__lt=end)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=end))
        .values(**DIMS)
        .annotate(in_process=Count("id"), overdue=Count("id", filter=overdue))
        .order_by()
    )


HISTORICAL_SQL = """
WITH bounds AS (
    SELECT b::date AS day, ((b::date + 1)::timestamp AT TIME ZONE %(tz)s) AS end_at
    FROM unnest(%(days)s::date[]) AS b
)
SELECT b.day, d.receiving_agency_id, v.gov_level, v.service_level,
       COUNT(*),
       COUNT(*) FILTER (WHERE d.due_at < b.end_at
                        AND (d.completed_at IS NULL OR d.completed_at >= b.end_at))
FROM {dossiers} d
JOIN {versions} v ON v.id = d.procedure_version_id
CROSS JOIN LATERAL (
    SELECT (gs + interval '1 month' - interval '1 day')::date AS day
    FROM generate_series(
        date_trunc('month', d.received_at AT TIME ZONE %(tz)s),
        date_trunc('month', COALESCE(d.closed_at, %(now)s) AT TIME ZONE %(tz)s),
        interval '1 month') AS gs
) m
JOIN bounds b ON b.day = m.day
WHERE d.received_at IS NOT NULL
  AND d.received_at < b.end_at
  AND (d.closed_at IS NULL OR d.closed_at >= b.end_at)
GROUP BY 1, 2, 3, 4
"""


def _historical_postgresql(days: list[datetime.date]) -> dict[datetime.date, list[dict]]:
    """All month ends in one pass: each dossier joins only the month ends it was open over."""
    from procedures.models import ProcedureVersion

    quote = connection.ops.quote_name
    sql = HISTORICAL_SQL.format(
        dossiers=quote(Dossier._meta.db_table), versions=quote(ProcedureVersion._meta.db_table)
    )
    result: dict[datetime.date, list[dict]] = {day: [] for day in days}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"tz": settings.TIME_ZONE, "days": days, "now": timezone.now()})
        for day, agency, gov, service, in_process, overdue in cursor.fetchall():
            result[day].append(
                {
                    "k_agency": agency,
                    "k_gov": gov,
                    "k_service": service,
                    "in_process": in_process,
                    "overdue": overdue,
                }  # fmt: skip
            )
    return result


def rebuild_snapshots(first: datetime.date, last: datetime.date) -> int:
    """Take the stock at every month end in [first, last] before today, and today's live
    stock when today is within the range. Returns the number of days taken."""
    now = timezone.now()
    today = local_day(now)
    days = [day for day in month_ends(first, min(last, today)) if day < today]
    if connection.vendor == "postgresql" and days:
        by_day = _historical_postgresql(days)
    else:
        by_day = {day: historical_rows(day) for day in days}
    for day in days:
        _store(day, by_day[day], now)
    if first <= today <= last:
        take_live(now)
        return len(days) + 1
    return len(days)
