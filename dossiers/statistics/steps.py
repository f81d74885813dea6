"""Per-step lateness, attributed to the agency and the person that held the dossier.

The history (electronic Mẫu 05) records with every row who holds the dossier after it
(``to_agency``, ``assignee``) and the deadline of the step in force (``step_due_at``, moved by
pauses; the Routing issue gives each step its own). A **step** is the time between a history
row and the next row that changes the holder — another agency or another assignee — or that
produces the result (status 9) or returns it (status 10). The step is **late** when that next
row comes after the deadline recorded by the row just before it. It is attributed to the
holding agency and to the assigned person (else the person who finished it), on the local date
it finished.

Counted incrementally with the flows (``aggregation.apply_events``) and rebuilt here: one SQL
statement with ``LAG`` over the history on PostgreSQL (``INSERT … SELECT``), the same rule in
Python elsewhere (``rows_python``; a test checks both agree).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q

from dossiers.models import DossierEvent, Status
from dossiers.models_stats import StepDailyStats
from dossiers.statistics.aggregation import ONE_MICROSECOND, increment, local_day

RESULT_STATUSES = (Status.RESULT_READY, Status.RETURNED)


@dataclass(frozen=True)
class FinishedStep:
    day: datetime.date
    agency_id: int
    person_id: int | None
    late: bool
    late_us: int


def finished_step(previous: dict | None, event: dict) -> FinishedStep | None:
    """The step ``event`` finishes, given the history row before it (None: none)."""
    if previous is None or previous["step_due_at"] is None or previous["to_agency_id"] is None:
        return None
    produced = event["to_status"] in RESULT_STATUSES and event["from_status"] != event["to_status"]
    if (
        event["to_agency_id"] == previous["to_agency_id"]
        and event["assignee_id"] == previous["assignee_id"]
        and not produced
    ):
        return None
    overrun = event["at"] - previous["step_due_at"]
    late = overrun > datetime.timedelta(0)
    return FinishedStep(
        day=local_day(event["at"]),
        agency_id=previous["to_agency_id"],
        person_id=previous["assignee_id"] or event["actor_id"],
        late=late,
        late_us=overrun // ONE_MICROSECOND if late else 0,
    )


PREVIOUS_SQL = """
SELECT e.id, p.to_agency_id, p.assignee_id, p.step_due_at
FROM {events} e
CROSS JOIN LATERAL (
    SELECT q.to_agency_id, q.assignee_id, q.step_due_at FROM {events} q
    WHERE q.dossier_id = e.dossier_id AND (q.at < e.at OR (q.at = e.at AND q.id < e.id))
    ORDER BY q.at DESC, q.id DESC
    LIMIT 1
) p
WHERE e.id = ANY(%s)
"""


def previous_rows(events: list[dict]) -> dict[int, dict]:
    """For each event, the history row of its dossier just before it (absent: none)."""
    ids = {event["id"] for event in events if event["from_status"] is not None}
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        sql = PREVIOUS_SQL.format(events=connection.ops.quote_name(DossierEvent._meta.db_table))
        with connection.cursor() as cursor:
            cursor.execute(sql, [sorted(ids)])
            return {
                pk: {"to_agency_id": agency, "assignee_id": assignee, "step_due_at": due}
                for pk, agency, assignee, due in cursor.fetchall()
            }
    found = {}
    for event in events:
        if event["id"] not in ids:
            continue
        previous = (
            DossierEvent.objects.filter(dossier_id=event["dossier_id"])
            .filter(Q(at__lt=event["at"]) | Q(at=event["at"], id__lt=event["id"]))
            .order_by("-at", "-id")
            .values("to_agency_id", "assignee_id", "step_due_at")
            .first()
        )
        if previous is not None:
            found[event["id"]] = previous
    return found


def count_events(events: list[dict]) -> None:
    """Incremental path: one query for the rows before ``events``, one upsert per distinct
    (day, agency, person). The first row of a dossier finishes nothing."""
    previous = previous_rows(events)
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for event in events:
        if event["from_status"] is None:
            continue
        step = finished_step(previous.get(event["id"]), event)
        if step is None:
            continue
        total = totals[(step.day, step.agency_id, step.person_id)]
        total[0] += 1
        total[1] += int(step.late)
        total[2] += step.late_us
    for (day, agency_id, person_id), (count, late, late_us) in totals.items():
        increment(
            StepDailyStats,
            {"day": day, "agency_id": agency_id, "person_key": person_id or 0},
            {"steps": count, "late": late, "late_us": late_us},
            extra={"person_id": person_id},
        )


# --- rebuild --------------------------------------------------------------------------------

STEP_SQL = """
WITH touched AS (
    SELECT DISTINCT dossier_id FROM {events} WHERE at >= %(start)s AND at < %(end)s
), ordered AS (
    SELECT e.at, e.from_status, e.to_status, e.to_agency_id, e.assignee_id, e.actor_id,
           LAG(e.id) OVER w AS p_id,
           LAG(e.to_agency_id) OVER w AS p_agency,
           LAG(e.assignee_id) OVER w AS p_assignee,
           LAG(e.step_due_at) OVER w AS p_due
    FROM {events} e JOIN touched t ON t.dossier_id = e.dossier_id
    WINDOW w AS (PARTITION BY e.dossier_id ORDER BY e.at, e.id)
)
SELECT (at AT TIME ZONE %(tz)s)::date AS day,
       p_agency,
       COALESCE(p_assignee, actor_id) AS person,
       COUNT(*) AS steps,
       COUNT(*) FILTER (WHERE at > p_due) AS late,
       COALESCE(SUM((EXTRACT(EPOCH FROM at - p_due) * 1000000)::bigint)
                FILTER (WHERE at > p_due), 0) AS late_us
FROM ordered
WHERE p_id IS NOT NULL AND p_due IS NOT NULL AND p_agency IS NOT NULL
  AND at >= %(start)s AND at < %(end)s
  AND (to_agency_id IS DISTINCT FROM p_agency
       OR assignee_id IS DISTINCT FROM p_assignee
       OR (to_status IN (9, 10) AND from_status IS DISTINCT FROM to_status))
GROUP BY 1, 2, 3
"""


def _insert_postgresql(start: datetime.datetime, end: datetime.datetime) -> int:
    from django.conf import settings

    quote = connection.ops.quote_name
    select = STEP_SQL.format(events=quote(DossierEvent._meta.db_table))
    table = quote(StepDailyStats._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, agency_id, person_id, steps, late, late_us, person_key) "  # noqa: S608
            f"SELECT *, COALESCE(person, 0) FROM ({select}) s",
            {"start": start, "end": end, "tz": settings.TIME_ZONE},
        )
        return cursor.rowcount


def rows_python(start: datetime.datetime, end: datetime.datetime) -> list[tuple]:
    """The same figures as ``STEP_SQL``, streamed through ``finished_step`` (any database)."""
    touched = DossierEvent.objects.filter(at__gte=start, at__lt=end).values("dossier_id")
    fields = ("dossier_id", "id", "at", "from_status", "to_status", "to_agency_id",
              "assignee_id", "actor_id", "step_due_at")  # fmt: skip
    events: Iterable[dict] = (
        DossierEvent.objects.filter(dossier_id__in=touched)
        .order_by("dossier_id", "at", "id")
        .values(*fields)
        .iterator(chunk_size=5000)
    )
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    previous: dict | None = None
    for event in events:
        if previous is not None and previous["dossier_id"] != event["dossier_id"]:
            previous = None
        if start <= event["at"] < end:
            step = finished_step(previous, event)
            if step is not None:
                total = totals[(step.day, step.agency_id, step.person_id)]
                total[0] += 1
                total[1] += int(step.late)
                total[2] += step.late_us
        previous = event
    return [(*key, *values) for key, values in totals.items()]


def rebuild_steps(start: datetime.datetime, end: datetime.datetime) -> int:
    """Replace the step rows of the local days in [start, end) with figures from the history."""
    StepDailyStats.objects.filter(day__gte=local_day(start), day__lt=local_day(end)).delete()
    if connection.vendor == "postgresql":
        return _insert_postgresql(start, end)
    rows = rows_python(start, end)
    StepDailyStats.objects.bulk_create(
        [
            StepDailyStats(
                day=day,
                agency_id=agency_id,
                person_id=person_id,
                person_key=person_id or 0,
                steps=steps,
                late=late,
                late_us=late_us,
            )
            for day, agency_id, person_id, steps, late, late_us in rows
        ],
        batch_size=5000,
    )
    return len(rows)
