"""The PostgreSQL rebuild of the flow tables: ``INSERT … SELECT`` only, nothing through Python.

Every kind of flow (the table in ``aggregation``) is summed in its own pass by (day, agency,
gov level, service level) for the daily table and by (month, procedure, agency, levels) for the
per-procedure one; the monthly table is the daily one summed. ``rebuild.compute_flows`` is the
same rule through the ORM for other databases; a test checks that both give the same rows.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection

from dossiers.models import Attachment, Dossier, Rating
from dossiers.models_stats import COUNTERS, DailyStats, MonthlyStats, ProcedureMonthlyStats


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)::date"


def _dossier_facts() -> list[tuple[str, dict[str, str]]]:
    """(timestamp, {counter: expression}) per kind of flow of a dossier; the timestamp is NULL
    when the dossier has no such flow (the table in ``aggregation``). ``t`` holds the local
    dates of return and appointment, ``e`` the dossiers with a stored result file."""
    return [
        ("d.received_at", {
            "received": "1",
            "received_direct": "(d.channel = 'direct')::int",
            "received_online": "(d.channel = 'online')::int",
            "received_postal": "(d.channel = 'postal')::int",
        }),
        ("CASE WHEN d.status = 3 THEN d.closed_at END", {"refused": "1"}),
        ("CASE WHEN d.status = 7 THEN d.closed_at END", {
            "withdrawn": "1",
            "withdrawn_received": "(d.received_at IS NOT NULL)::int",
        }),
        ("d.completed_at", {"completed": "1"}),
        ("d.returned_at", {
            "resolved": "1",
            "resolved_early": "COALESCE((t.returned_day < t.due_day)::int, 0)",
            "resolved_on_time": "COALESCE((t.returned_day = t.due_day)::int, 0)",
            "resolved_late": "COALESCE((t.returned_day > t.due_day)::int, 0)",
            "resolved_electronic": "(e.dossier_id IS NOT NULL)::int",
            "resolved_with_fee": "(d.fee_vnd > 0 OR d.payment_due_vnd > 0)::int",
            "resolved_paid_online": "d.paid_online::int",
            "processing_us": (
                "COALESCE((EXTRACT(EPOCH FROM COALESCE(d.completed_at, d.returned_at) "
                "- d.received_at) * 1000000)::bigint, 0)"
            ),
        }),
    ]  # fmt: skip


def _branches(per_procedure: bool, bounded_start: bool, bounded_end: bool) -> str:
    """Each kind of flow summed by its own grain in its own pass (hash aggregates of a few
    thousand groups, cheap), then the kinds side by side; the caller sums them by key."""
    from procedures.models import ProcedureVersion

    quote = connection.ops.quote_name
    versions = quote(ProcedureVersion._meta.db_table)
    dossiers = quote(Dossier._meta.db_table)
    attachments = quote(Attachment._meta.db_table)
    keys = ["d.procedure_id"] if per_procedure else []
    keys += ["d.receiving_agency_id", "v.gov_level", "v.service_level"]
    group = ", ".join(str(n) for n in range(1, len(keys) + 2))

    def when(stamp: str) -> str:
        local = _local(stamp)
        return f"date_trunc('month', {local})::date" if per_procedure else local

    def window(stamp: str) -> list[str]:
        return (
            [f"{stamp} IS NOT NULL"]
            + ([f"{stamp} >= %(start)s"] if bounded_start else [])
            + ([f"{stamp} < %(end)s"] if bounded_end else [])
        )

    def sums(counters: dict[str, str]) -> str:
        return ", ".join(
            ("COUNT(*)" if counters[name] == "1" else f"SUM({counters[name]})")
            if name in counters
            else "0"
            for name in COUNTERS
        )

    selects = []
    for stamp, counters in _dossier_facts():
        joins = f"{dossiers} d JOIN {versions} v ON v.id = d.procedure_version_id"
        if stamp == "d.returned_at":
            joins += (
                f" LEFT JOIN (SELECT DISTINCT dossier_id FROM {attachments} "  # noqa: S608
                "WHERE kind = 'result') e ON e.dossier_id = d.id "
                f"CROSS JOIN LATERAL (SELECT {_local('d.returned_at')} AS returned_day, "
                f"{_local('COALESCE(d.original_due_at, d.due_at)')} AS due_day) t"
            )
        selects.append(
            f"SELECT {when(stamp)}, {', '.join(keys)}, {sums(counters)} FROM {joins} "  # noqa: S608
            f"WHERE {' AND '.join(window(stamp))} GROUP BY {group}"
        )
    ratings = {f"rating_{n}": f"(r.score = {n})::int" for n in range(1, 6)}
    selects.append(
        f"SELECT {when('r.created_at')}, {', '.join(keys)}, {sums(ratings)} "  # noqa: S608
        f"FROM {quote(Rating._meta.db_table)} r JOIN {dossiers} d ON d.id = r.dossier_id "
        f"JOIN {versions} v ON v.id = d.procedure_version_id "
        f"WHERE {' AND '.join(window('r.created_at'))} GROUP BY {group}"
    )
    names = ", ".join(["k", *(["procedure_id"] if per_procedure else []),
                       "agency_id", "gov_level", "service_level", *COUNTERS])  # fmt: skip
    return f"({' UNION ALL '.join(selects)}) AS x({names})"


def rebuild_flows(
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    first_day: datetime.date | None,
    end_day: datetime.date | None,
) -> tuple[int, int, int]:
    """Replace the flow rows of [first_day, end_day) (whole months); returns row counts."""
    quote = connection.ops.quote_name
    daily, monthly, per_procedure = (
        quote(m._meta.db_table) for m in (DailyStats, MonthlyStats, ProcedureMonthlyStats)
    )
    params = {"tz": settings.TIME_ZONE, "start": start, "end": end,
              "first": first_day, "last": end_day}  # fmt: skip
    window = []
    if first_day is not None:
        window.append("{field} >= %(first)s")
    if end_day is not None:
        window.append("{field} < %(last)s")

    def where(field: str) -> str:
        return (" WHERE " + " AND ".join(w.format(field=field) for w in window)) if window else ""

    counters = ", ".join(COUNTERS)
    sums = ", ".join(f"SUM({name})" for name in COUNTERS)
    bounded = (start is not None, end is not None)
    with connection.cursor() as cursor:
        # A batch job: no JIT compilation (seconds, for one statement), room to sum in memory.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        for table, field in ((daily, "day"), (monthly, "month"), (per_procedure, "month")):
            cursor.execute(f"DELETE FROM {table}{where(field)}", params)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {daily} (day, agency_id, gov_level, service_level, {counters}) "  # noqa: S608
            f"SELECT k, agency_id, gov_level, service_level, {sums} "
            f"FROM {_branches(False, *bounded)} GROUP BY 1, 2, 3, 4",
            params,
        )
        days = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {monthly} (month, agency_id, gov_level, service_level, {counters}) "  # noqa: S608
            f"SELECT date_trunc('month', day)::date, agency_id, gov_level, service_level, {sums} "
            f"FROM {daily}{where('day')} GROUP BY 1, 2, 3, 4",
            params,
        )
        months = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {per_procedure} "  # noqa: S608
            f"(month, procedure_id, agency_id, gov_level, service_level, {counters}) "
            f"SELECT k, procedure_id, agency_id, gov_level, service_level, {sums} "
            f"FROM {_branches(True, *bounded)} GROUP BY 1, 2, 3, 4, 5",
            params,
        )
        procedures = cursor.rowcount
    return days, months, procedures
