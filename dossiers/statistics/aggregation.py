"""Incremental maintenance of the statistics tables, and what it shares with the rebuild.

**Which flow, which day.** A transition counts once, on the local date (``TIME_ZONE``) of the
dossier's own timestamp, under the dossier's receiving agency and its procedure version's gov
level and service level:

============  =====================  =======================================================
to status      timestamp              counters
============  =====================  =======================================================
2 received     ``received_at``        received, received_<channel>
3 refused      ``closed_at``          refused
7 withdrawn    ``closed_at``          withdrawn (+ withdrawn_received when it had been received)
9 result       ``completed_at``       completed
10 returned    ``returned_at``        resolved, early / on time / late (date of return against
                                      the date of the legal appointment ``original_due_at``,
                                      else ``due_at``; neither when there is no appointment),
                                      electronic result (a result file is stored), with fee,
                                      paid online, processing time (result ready − intake)
============  =====================  =======================================================

A new rating counts ``rating_<score>`` on the day it was given. ``rebuild.py`` computes the
same counters from the dossiers with set-based queries; a test checks both against a direct
count after random transitions.

**Exactly once.** Each increment runs in one transaction with a ledger row (``StatsLedger``:
event or rating id, unique), so a repeated delivery changes nothing. A rebuild takes the
exclusive side of an advisory lock whose shared side every increment takes, works on one
snapshot, and writes ledger rows for the recent events it counted, so an increment that was
waiting behind it does not count them twice.

**Cost.** Events are counted in batches (``apply_events``; ``fold`` queues them in Redis when a
worker runs, so a transition or a hand-over pays one Redis round trip): per batch the lock,
one ledger statement, one query for the events with their dossiers' dimensions, one for the
history rows before them, and one upsert (``INSERT … ON CONFLICT DO UPDATE SET n = n +
excluded.n``) per distinct counter row — three per (day, agency, levels) for flows, one per
(day, agency, person) for steps. No scan of anything.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from dossiers.models import Attachment, AttachmentKind, DossierEvent, Rating, Status
from dossiers.models_stats import (
    DailyStats,
    MonthlyStats,
    ProcedureMonthlyStats,
    StatsLedger,
)

logger = logging.getLogger(__name__)

#: Key of the PostgreSQL advisory lock between increments (shared) and rebuilds (exclusive).
LOCK_KEY = 766_2022_10
ONE_MICROSECOND = datetime.timedelta(microseconds=1)
CHANNEL_COUNTER = {
    "direct": "received_direct",
    "online": "received_online",
    "postal": "received_postal",
}


def local_tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_day(value: datetime.datetime) -> datetime.date:
    return value.astimezone(local_tz()).date()


def day_start(day: datetime.date) -> datetime.datetime:
    """The first instant of ``day`` in local time (aware)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=local_tz())


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


@dataclass(frozen=True)
class Dims:
    """Under what a dossier's flows are counted."""

    agency_id: int
    procedure_id: int
    gov_level: str
    service_level: int


# --- locks and ledger -----------------------------------------------------------------------


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def shared_lock() -> None:
    """Taken by every increment (inside its transaction): waits while a rebuild runs."""
    if _is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_KEY])


def claim(kind: str, ref: int, at: datetime.datetime) -> bool:
    """Record that ``kind``/``ref`` is being counted; False when it already was."""
    table = connection.ops.quote_name(StatsLedger._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (kind, ref, at) VALUES (%s, %s, %s) "  # noqa: S608
            "ON CONFLICT (kind, ref) DO NOTHING",
            [kind, ref, at],
        )
        return cursor.rowcount == 1


def prune_ledger(now: datetime.datetime | None = None) -> int:
    """Forget ledger rows older than ``STATS_LEDGER_DAYS`` (repeats come within seconds)."""
    days = getattr(settings, "STATS_LEDGER_DAYS", 7)
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    deleted, _ = StatsLedger.objects.filter(at__lt=cutoff).delete()
    return deleted


# --- upserts --------------------------------------------------------------------------------


def increment(
    model, key: dict[str, object], amounts: dict[str, int], extra: dict | None = None
) -> None:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET c = c + excluded.c`` (PostgreSQL, SQLite);
    ``extra`` columns are written on insert only."""
    amounts = {name: value for name, value in amounts.items() if value}
    if not amounts:
        return
    extra = extra or {}
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*key, *extra, *amounts]
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in amounts)
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in key)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key.values(), *extra.values(), *amounts.values()])


def add_flows(day: datetime.date, dims: Dims, amounts: dict[str, int]) -> None:
    """Add ``amounts`` to the day, month and procedure-month rows of ``dims``."""
    levels = {"gov_level": dims.gov_level, "service_level": dims.service_level}
    month = month_of(day)
    increment(DailyStats, {"day": day, "agency_id": dims.agency_id, **levels}, amounts)
    increment(MonthlyStats, {"month": month, "agency_id": dims.agency_id, **levels}, amounts)
    increment(
        ProcedureMonthlyStats,
        {"month": month, "procedure_id": dims.procedure_id, "agency_id": dims.agency_id, **levels},
        amounts,
    )


# --- what a transition counts ---------------------------------------------------------------


def timeliness(
    returned_at: datetime.datetime | None,
    original_due_at: datetime.datetime | None,
    due_at: datetime.datetime | None,
) -> str | None:
    """``early`` / ``on_time`` / ``late`` by local date (mirrors ``deadlines.timeliness``)."""
    appointment = original_due_at or due_at
    if returned_at is None or appointment is None:
        return None
    done, due = local_day(returned_at), local_day(appointment)
    if done < due:
        return "early"
    return "on_time" if done == due else "late"


def processing_us(dossier: dict) -> int:
    done = dossier["completed_at"] or dossier["returned_at"]
    if done is None or dossier["received_at"] is None:
        return 0
    return (done - dossier["received_at"]) // ONE_MICROSECOND


def transition_flows(
    from_status: int | None,
    to_status: int,
    dossier: dict,
    has_electronic_result: Callable[[], bool],
) -> list[tuple[datetime.datetime, dict[str, int]]]:
    """The (timestamp, counters) a transition adds; ``dossier`` holds the fields named in the
    module table. Status-keeping actions (assign, forward, apologize) add nothing."""
    if from_status == to_status:
        return []
    if to_status == Status.RECEIVED and dossier["received_at"] is not None:
        channel = CHANNEL_COUNTER.get(dossier["channel"])
        amounts = {"received": 1, **({channel: 1} if channel else {})}
        return [(dossier["received_at"], amounts)]
    if to_status == Status.REFUSED and dossier["closed_at"] is not None:
        return [(dossier["closed_at"], {"refused": 1})]
    if to_status == Status.WITHDRAWN and dossier["closed_at"] is not None:
        received = int(dossier["received_at"] is not None)
        return [(dossier["closed_at"], {"withdrawn": 1, "withdrawn_received": received})]
    if to_status == Status.RESULT_READY and dossier["completed_at"] is not None:
        return [(dossier["completed_at"], {"completed": 1})]
    if to_status == Status.RETURNED and dossier["returned_at"] is not None:
        kind = timeliness(dossier["returned_at"], dossier["original_due_at"], dossier["due_at"])
        amounts = {
            "resolved": 1,
            "resolved_electronic": int(has_electronic_result()),
            "resolved_with_fee": int(bool(dossier["fee_vnd"] or dossier["payment_due_vnd"])),
            "resolved_paid_online": int(bool(dossier["paid_online"])),
            "processing_us": processing_us(dossier),
        }
        if kind:
            amounts[f"resolved_{kind}"] = 1
        return [(dossier["returned_at"], amounts)]
    return []


DOSSIER_FIELDS = (
    "receiving_agency_id",
    "procedure_id",
    "channel",
    "received_at",
    "completed_at",
    "returned_at",
    "closed_at",
    "original_due_at",
    "due_at",
    "fee_vnd",
    "payment_due_vnd",
    "paid_online",
)
EVENT_FIELDS = (
    "id",
    "at",
    "dossier_id",
    "from_status",
    "to_status",
    "to_agency_id",
    "assignee_id",
    "actor_id",
    "step_due_at",
)


def _event_rows(event_ids: list[int]) -> list[dict]:
    names = {
        **{f"dossier__{name}": name for name in DOSSIER_FIELDS},
        "dossier__procedure_version__gov_level": "gov_level",
        "dossier__procedure_version__service_level": "service_level",
    }
    rows = list(DossierEvent.objects.filter(pk__in=event_ids).values(*EVENT_FIELDS, *names))
    for row in rows:
        row["dossier"] = {short: row.pop(long) for long, short in names.items()}
    return rows


def dims_of(dossier: dict) -> Dims:
    return Dims(
        agency_id=dossier["receiving_agency_id"],
        procedure_id=dossier["procedure_id"],
        gov_level=dossier["gov_level"],
        service_level=dossier["service_level"],
    )


def claim_events(event_ids: list[int]) -> list[int]:
    """Record in the ledger the events of ``event_ids`` not counted yet (one statement);
    returns those, the ones this transaction must count."""
    if not event_ids:
        return []
    quote = connection.ops.quote_name
    ledger = quote(StatsLedger._meta.db_table)
    events = quote(DossierEvent._meta.db_table)
    marks = ", ".join(["%s"] * len(event_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ledger} (kind, ref, at) "  # noqa: S608
            f"SELECT 'e', id, at FROM {events} WHERE id IN ({marks}) "
            "ON CONFLICT (kind, ref) DO NOTHING RETURNING ref",
            list(event_ids),
        )
        return [row[0] for row in cursor.fetchall()]


def apply_events(event_ids: list[int]) -> int:
    """Count a batch of history rows (flows and the steps they finish) in one transaction:
    one lock, one ledger statement, one read of the events, one of the rows before them, and
    one upsert per distinct counter row. Events already counted are skipped (exactly once);
    returns how many were counted now."""
    from dossiers.statistics import steps

    with transaction.atomic():
        shared_lock()
        claimed = claim_events(sorted(set(event_ids)))
        if not claimed:
            return 0
        rows = _event_rows(claimed)
        flows: dict[tuple[datetime.date, Dims], dict[str, int]] = {}
        for row in rows:
            dossier = row["dossier"]

            def has_electronic_result(dossier_id: int = row["dossier_id"]) -> bool:
                return Attachment.objects.filter(
                    dossier_id=dossier_id, kind=AttachmentKind.RESULT
                ).exists()

            dims = dims_of(dossier)
            for at, amounts in transition_flows(
                row["from_status"], row["to_status"], dossier, has_electronic_result
            ):
                total = flows.setdefault((local_day(at), dims), {})
                for name, value in amounts.items():
                    total[name] = total.get(name, 0) + value
        for (day, dims), amounts in flows.items():
            add_flows(day, dims, amounts)
        steps.count_events(rows)
    return len(rows)


def apply_event(event_id: int) -> bool:
    """Count one history row (flows and the step it finishes); False when already counted."""
    return apply_events([event_id]) == 1


def apply_rating(rating_id: int) -> bool:
    with transaction.atomic():
        shared_lock()
        row = (
            Rating.objects.filter(pk=rating_id)
            .values(
                "created_at",
                "score",
                "dossier__receiving_agency_id",
                "dossier__procedure_id",
                "dossier__procedure_version__gov_level",
                "dossier__procedure_version__service_level",
            )
            .first()
        )
        if row is None or not claim("r", rating_id, row["created_at"]):
            return False
        dims = Dims(
            agency_id=row["dossier__receiving_agency_id"],
            procedure_id=row["dossier__procedure_id"],
            gov_level=row["dossier__procedure_version__gov_level"],
            service_level=row["dossier__procedure_version__service_level"],
        )
        add_flows(local_day(row["created_at"]), dims, {f"rating_{row['score']}": 1})
    return True


# --- listeners ------------------------------------------------------------------------------


def counts_nothing(from_status: int | None, to_status: int) -> bool:
    """The first history row of an online filing (→ submitted) adds no flow
    (``transition_flows``) and finishes no step (``steps.count_event``)."""
    return from_status is None and to_status == Status.SUBMITTED


def on_dossier_transitioned(
    sender, *, event_id: int, from_status=None, to_status=None, **kwargs
) -> None:
    """Receiver of ``dossier_transitioned`` (already after commit, in its own savepoint).

    Online filings are skipped: there is nothing to count. With a worker and Redis the event is
    only queued (one Redis round trip): a task counts the queued events in batches (``fold``),
    off the path of the transition or hand-over that made them. Without them (embedded mode,
    tests) or when Redis fails, it is counted at once."""
    from dossiers.statistics import fold

    if to_status is not None and counts_nothing(from_status, to_status):
        return
    if fold.batched():
        from dossiers.events import coalesce

        coalesce(queue_or_count, event_id)  # one Redis round trip per batch of hand-overs
        return
    apply_event(event_id)


def queue_or_count(event_ids: list[int]) -> None:
    """Queue the events for the next fold, or count them now when Redis failed."""
    from dossiers.statistics import fold

    if not fold.defer_many(event_ids):
        apply_events(event_ids)


def on_rating_saved(sender, instance: Rating, created: bool, **kwargs) -> None:
    if created:
        rating_id = instance.pk
        transaction.on_commit(lambda: apply_rating(rating_id), robust=True)


_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from dossiers.events import dossier_transitioned

    dossier_transitioned.connect(on_dossier_transitioned, dispatch_uid="dossiers.statistics")
    post_save.connect(on_rating_saved, sender=Rating, dispatch_uid="dossiers.statistics.rating")
    from dossiers.statistics import tasks  # noqa: F401  (registers the beat task in workers)
