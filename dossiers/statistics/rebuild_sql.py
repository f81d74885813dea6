"""The PostgreSQL rebuild of the flow tables: ``INSERT … SELECT`` only, nothing through Python.

The facts of every kind (the table in ``aggregation``) are summed once into a temporary table
at the finest grain (day, procedure, agency, gov level, service level); the daily, monthly and
per-procedure tables are ``GROUP BY`` of it. ``rebuild.compute_flows`` is the same rule through
the ORM for other databases; a test checks that both give the same rows.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection

from dossiers.models import Attachment, Dossier, Rating
from dossiers.models_stats import COUNTERS, DailyStats, MonthlyStats, ProcedureMonthlyStats


def _local(column: str) -> str:
    return f"({column} AT TIME ZONE %(tz)s)::date"


def _facts() -> list[tuple[str, str, str, dict[str, str]]]:
    """(from clause, timestamp, condition, {counter: expression}) per kind of flow."""
    quote = connection.ops.quote_name
    attachments = quote(Attachment._meta.db_table)
    dossiers = f"{quote(Dossier._meta.db_table)} d"
    returned, due = _local("d.returned_at"), _local("COALESCE(d.original_due_at, d.due_at)")
    return [
        (dossiers, "d.received_at", "d.received_at IS NOT NULL", {
            "received": "1",
            "received_direct": "(d.channel = 'direct')::int",
            "received_online": "(d.channel = 'online')::int",
            "received_postal": "(d.channel = 'postal')::int",
        }),
        (dossiers, "d.closed_at", "d.status = 3 AND d.closed_at IS NOT NULL", {"refused": "1"}),
        (dossiers, "d.closed_at", "d.status = 7 AND d.closed_at IS NOT NULL", {
            "withdrawn": "1",
            "withdrawn_received": "(d.received_at IS NOT NULL)::int",
        }),
        (dossiers, "d.completed_at", "d.completed_at IS NOT NULL", {"completed": "1"}),
        (dossiers, "d.returned_at", "d.returned_at IS NOT NULL", {
            "resolved": "1",
            "resolved_early": f"COALESCE(({returned} < {due})::int, 0)",
            "resolved_on_time": f"COALESCE(({returned} = {due})::int, 0)",
            "resolved_late": f"COALESCE(({returned} > {due})::int, 0)",
            "resolved_electronic": (
                f"(EXISTS (SELECT 1 FROM {attachments} a "  # noqa: S608 (names from models)
                "WHERE a.dossier_id = d.id AND a.kind = 'result'))::int"
            ),
            "resolved_with_fee": "(d.fee_vnd > 0 OR d.payment_due_vnd > 0)::int",
            "resolved_paid_online": "d.paid_online::int",
            "processing_us": (
                "COALESCE((EXTRACT(EPOCH FROM COALESCE(d.completed_at, d.returned_at) "
                "- d.received_at) * 1000000)::bigint, 0)"
            ),
        }),
        (
            f"{quote(Rating._meta.db_table)} r JOIN {dossiers} ON d.id = r.dossier_id",
            "r.created_at",
            "TRUE",
            {f"rating_{score}": f"(r.score = {score})::int" for score in range(1, 6)},
        ),
    ]  # fmt: skip


def _facts_sql(bounded_start: bool, bounded_end: bool) -> str:
    from procedures.models import ProcedureVersion

    versions = connection.ops.quote_name(ProcedureVersion._meta.db_table)
    selects = []
    for source, stamp, condition, counters in _facts():
        columns = ", ".join(f"{counters.get(name, '0')} AS {name}" for name in COUNTERS)
        where = [condition]
        if bounded_start:
            where.append(f"{stamp} >= %(start)s")
        if bounded_end:
            where.append(f"{stamp} < %(end)s")
        selects.append(
            f"SELECT {_local(stamp)} AS day, d.procedure_id, d.receiving_agency_id AS agency_id, "  # noqa: S608
            f"v.gov_level, v.service_level, {columns} FROM {source} "
            f"JOIN {versions} v ON v.id = d.procedure_version_id WHERE {' AND '.join(where)}"
        )
    sums = ", ".join(f"SUM({name}) AS {name}" for name in COUNTERS)
    return (
        "CREATE TEMPORARY TABLE stats_rebuild_facts ON COMMIT DROP AS "  # noqa: S608
        f"SELECT day, procedure_id, agency_id, gov_level, service_level, {sums} FROM ("
        + " UNION ALL ".join(selects)
        + ") f GROUP BY 1, 2, 3, 4, 5"
    )


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
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS stats_rebuild_facts")
        cursor.execute(_facts_sql(start is not None, end is not None), params)
        for table, field in ((daily, "day"), (monthly, "month"), (per_procedure, "month")):
            cursor.execute(f"DELETE FROM {table}{where(field)}", params)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {daily} (day, agency_id, gov_level, service_level, {counters}) "  # noqa: S608
            f"SELECT day, agency_id, gov_level, service_level, {sums} "
            "FROM stats_rebuild_facts GROUP BY 1, 2, 3, 4",
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
            f"SELECT date_trunc('month', day)::date, procedure_id, agency_id, gov_level, "
            f"service_level, {sums} FROM stats_rebuild_facts GROUP BY 1, 2, 3, 4, 5",
            params,
        )
        procedures = cursor.rowcount
        cursor.execute("DROP TABLE stats_rebuild_facts")
    return days, months, procedures
