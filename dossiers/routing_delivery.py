"""Delivery of hand-overs (the body of ``routing_tasks.deliver_handover``); planning (where a
dossier goes next) is in ``dossiers/routing.py``, the outbox sweeper in
``dossiers/routing_sweeper.py``.

``deliver`` runs once per message and must be cheap: routing throughput is measured against a
no-op task (``dossiers/benchmark.py``). Two paths, both plain SQL with the ORM for rare cases:

**One by one** (``_deliver_one``; ``ROUTING_DELIVERY_BATCH=1``, SQLite, or when our dossier is
locked elsewhere): one read that also locks the dossier row (the transition service's lock
order) and relaxes the commit, a conditional UPDATE that flips the outbox row ``pending →
delivered`` and moves the dossier in the same statement (the exactly-once guard: a duplicated,
redelivered or swept message finds it delivered and changes nothing), and the history row
through ``record_event``: four statements and a commit.

**Batched** (``_deliver_batch``, PostgreSQL, ``ROUTING_DELIVERY_BATCH`` > 1, default 50). Under
a burst most of a delivery's cost is per transaction and per message, not per dossier. So:

1. ``_peek`` reads the row's state without a lock. Not pending: a batch already delivered it
   (or it was blocked/cancelled) and the message returns ``duplicate`` — one indexed read, no
   lock, no transaction. This is what most messages of a burst cost.
2. Pending: one statement locks our hand-over and the next pending ones of the same queue
   (``h.id >= ours``, same target level when ``ROUTING_QUEUES_PER_LEVEL``), each with its
   dossier, ``FOR UPDATE OF h, d SKIP LOCKED LIMIT N``: rows another worker or a transition
   holds are skipped, never waited for, so two workers take disjoint batches and cannot
   deadlock. Only committed rows are seen, so every row taken has its own message published
   (or the sweeper will re-send it).
3. Each row is judged alone, as one by one: dossier final → ``cancelled``; target inactive →
   ``blocked`` with its ``RoutingAlert`` (the dossier stays with its holder); otherwise its
   step deadline (working hours from the same instant; the calendar read once) and one
   set-based statement flips every ``pending → delivered`` *conditionally* (the exactly-once
   guard, as above) and moves each dossier, returning the rows it claimed.
4. The claimed rows get their own history row ("Giao … lúc …. Nhận … lúc …", the hand-over's
   creation and delivery times) in one INSERT (``events.record_events``) and, after commit,
   the tracking entries are forgotten in one round trip and ``dossier_transitioned`` is sent
   for **each** event, as for a single delivery.
5. If our own dossier was locked elsewhere (skipped), the others are still delivered, then our
   row takes the one-by-one path, which waits for the lock.

``delivered_at`` is the batch's instant, so the benchmark's commit → arrival latency stays the
real time a dossier waited. The other apps' listeners of the history row must stay cheap for a
hand-over (statistics queue it for a batch, postal ignores events that keep the status).
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dossiers.events import record_event, record_events
from dossiers.models import FINAL_STATUSES, Dossier, DossierEvent
from dossiers.models_routing import (
    Handover,
    HandoverState,
    RoutingAlertKind,
)
from dossiers.routing import (
    HANDOVER_ACTION,
    raise_alert,
)
from portal.models import AdministrativeUnit, Agency
from portal.worktime import get_calendar

# --- delivery -------------------------------------------------------------------------------


def _test_hook() -> None:
    """Tests kill a worker in the middle of a delivery: while the file named by
    ``ROUTING_TEST_BLOCK_FILE`` exists the delivery announces itself and waits."""
    path = os.environ.get("ROUTING_TEST_BLOCK_FILE")
    if not path or not os.path.exists(path):
        return
    with open(f"{path}.started", "w") as marker:
        marker.write(str(os.getpid()))
    while os.path.exists(path):
        time.sleep(0.05)


def _relaxed_commit() -> None:
    """Do not wait for the WAL flush when this transaction commits (PostgreSQL).

    Safe here, and worth a third of a delivery's time: the outbox row and its effect commit
    together, so a database crash that loses the last few hundred milliseconds loses both; the
    row is ``pending`` again and the sweeper re-sends it. Never used for the citizen-facing
    transitions, whose commit must be durable when the page answers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _local(moment: datetime.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%H:%M %d/%m/%Y") if moment else "—"


#: The delivery's one read: the hand-over with what the delivery needs of its dossier and
#: agencies, locking the dossier row. Plain SQL because this is the hot path of routing and
#: compiling the equivalent three-join ORM query cost more than running it.
_DELIVERY_FROM = """
       h.state, h.dossier_id, h.reason, h.step_index, h.step_name, h.step_hours, h.created_at,
       d.status, d.current_agency_id, d.due_at,
       t.id, t.is_active, t.name, t.code, f.name, f.code,
       d.code, d.receiving_agency_id, d.returning_agency_id,
       d.deciding_agency_id, d.applicant_id, d.channel, d.pickup_by_post
FROM {handover} h
JOIN {dossier} d ON d.id = h.dossier_id
JOIN {agency} t ON t.id = h.to_agency_id
LEFT JOIN {agency} f ON f.id = h.from_agency_id
"""
_DELIVERY_SQL = "SELECT " + _DELIVERY_FROM + "WHERE h.id = %s\n"


@dataclass
class _Delivery:
    state: str
    dossier_id: int
    reason: str
    step_index: int
    step_name: str
    step_hours: Decimal | None
    created_at: datetime.datetime
    status: int
    holder_id: int
    due_at: datetime.datetime | None
    to_id: int
    to_active: bool
    to_name: str
    to_code: str
    from_name: str | None
    from_code: str | None
    code: str
    receiving_id: int | None
    returning_id: int | None
    deciding_id: int | None
    applicant_id: int | None
    channel: str
    pickup_by_post: bool


def _db_datetime(value) -> datetime.datetime | None:
    """A datetime column read by plain SQL (SQLite gives text, naive UTC)."""
    if value is None or isinstance(value, datetime.datetime):
        return (
            value
            if value is None or timezone.is_aware(value)
            else timezone.make_aware(value, datetime.UTC)
        )
    return _db_datetime(parse_datetime(str(value)))


def _read_delivery(handover_id: int) -> _Delivery | None:
    sql = _DELIVERY_SQL.format(
        handover=Handover._meta.db_table,
        dossier=Dossier._meta.db_table,
        agency=Agency._meta.db_table,
    )
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        # The relaxed commit (``_relaxed_commit``) set by the same statement: one round trip.
        sql = sql.replace("SELECT ", "SELECT set_config('synchronous_commit', 'off', true), ", 1)
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF d"
    with connection.cursor() as cursor:
        cursor.execute(sql, [handover_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return _delivery_of(row[1:] if postgresql else row)


def _delivery_of(values) -> _Delivery:
    """A ``_Delivery`` from the columns of ``_DELIVERY_FROM`` (typed the same on every backend)."""
    row = list(values)
    row[5] = Decimal(str(row[5])) if row[5] is not None else None
    row[6], row[9] = _db_datetime(row[6]), _db_datetime(row[9])
    row[11], row[-1] = bool(row[11]), bool(row[-1])
    return _Delivery(*row)


def _claim(handover_id: int, state: str, **values) -> bool:
    """``pending → state`` for this row only if still pending: the exactly-once guard."""
    values["state"] = state
    adapt = connection.ops.adapt_datetimefield_value
    params = [adapt(v) if isinstance(v, datetime.datetime) else v for v in values.values()]
    assignments = ", ".join(f"{name} = %s" for name in values)  # our own field names
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Handover._meta.db_table} SET {assignments} "  # noqa: S608
            "WHERE id = %s AND state = %s",
            [*params, handover_id, HandoverState.PENDING],
        )
        return cursor.rowcount == 1


#: ``pending → delivered`` and the dossier moved to the receiving agency, in one statement.
_MOVE_SQL = """
WITH claimed AS (
    UPDATE {handover} SET state = %s, delivered_at = %s, step_due_at = %s
    WHERE id = %s AND state = %s
    RETURNING dossier_id
)
UPDATE {dossier} SET current_agency_id = %s, step_due_at = %s, assignee_id = NULL,
       updated_at = %s
WHERE id = (SELECT dossier_id FROM claimed)
"""


def _claim_and_move(
    handover_id: int, found: _Delivery, now: datetime.datetime, due: datetime.datetime | None
) -> bool:
    """Claim the row for delivery (the exactly-once guard) and move the dossier; False when the
    row was no longer pending (nothing changed). PostgreSQL: one round trip."""
    adapt = connection.ops.adapt_datetimefield_value
    move = [found.to_id, adapt(due), adapt(now)]
    if connection.vendor != "postgresql":
        if not _claim(handover_id, HandoverState.DELIVERED, delivered_at=now, step_due_at=due):
            return False
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Dossier._meta.db_table} SET current_agency_id = %s, step_due_at = %s, "  # noqa: S608
                "assignee_id = NULL, updated_at = %s WHERE id = %s",
                [*move, found.dossier_id],
            )
        return True
    sql = _MOVE_SQL.format(handover=Handover._meta.db_table, dossier=Dossier._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                HandoverState.DELIVERED,
                adapt(now),
                adapt(due),
                handover_id,
                HandoverState.PENDING,
                *move,
            ],
        )
        return cursor.rowcount == 1


def _block(handover_id: int, found: _Delivery) -> str:
    message = _("%(agency)s đã ngừng hoạt động; hồ sơ vẫn ở %(holder)s.") % {
        "agency": found.to_name,
        "holder": found.from_name or "—",
    }
    if not _claim(handover_id, HandoverState.BLOCKED, last_error=message):
        return "duplicate"
    raise_alert(
        Dossier.objects.get(pk=found.dossier_id),
        RoutingAlertKind.BLOCKED,
        message,
        reason=found.reason,
        step_index=found.step_index,
        handover=Handover.objects.get(pk=handover_id),
    )
    return "blocked"


def _moved(found: _Delivery, due: datetime.datetime | None) -> Dossier:
    """The dossier as the history row sees it after the move (``record_event`` and
    ``announce`` read these fields, nothing else)."""
    return Dossier(
        pk=found.dossier_id,
        code=found.code,
        receiving_agency_id=found.receiving_id,
        returning_agency_id=found.returning_id,
        deciding_agency_id=found.deciding_id,
        applicant_id=found.applicant_id,
        channel=found.channel,
        pickup_by_post=found.pickup_by_post,
        status=found.status,
        current_agency_id=found.to_id,
        assignee_id=None,
        step_due_at=due,
    )


def _note(found: _Delivery, now: datetime.datetime) -> str:
    return _("Giao: %(giver)s lúc %(given)s. Nhận: %(taker)s lúc %(taken)s.") % {
        "giver": found.from_name or "—",
        "given": _local(found.created_at),
        "taker": found.to_name,
        "taken": _local(now),
    }


def _payload(handover_id: int, found: _Delivery, now: datetime.datetime) -> dict:
    return {
        "handover": handover_id,
        "reason": found.reason,
        "step": found.step_index + 1,
        "step_name": found.step_name,
        "given_at": found.created_at.isoformat(),
        "received_at": now.isoformat(),
        "from_agency": found.from_code or "",
        "to_agency": found.to_code,
    }


# --- batched delivery (PostgreSQL) ----------------------------------------------------------


def batch_size() -> int:
    """``ROUTING_DELIVERY_BATCH``: how many pending hand-overs of its queue one delivery task
    may deliver in its transaction (1: one by one)."""
    return max(1, int(getattr(settings, "ROUTING_DELIVERY_BATCH", 50)))


def _peek(handover_id: int) -> tuple[str, str | None] | None:
    """The row's state (and, with queues per level, its target's level), without a lock: the
    whole cost of a message whose hand-over a batch already delivered."""
    per_level = getattr(settings, "ROUTING_QUEUES_PER_LEVEL", False)
    sql = f"SELECT state FROM {Handover._meta.db_table} WHERE id = %s"  # noqa: S608
    if per_level:
        sql = (
            f"SELECT h.state, u.level FROM {Handover._meta.db_table} h "  # noqa: S608
            f"JOIN {Agency._meta.db_table} a ON a.id = h.to_agency_id "
            f"JOIN {AdministrativeUnit._meta.db_table} u ON u.id = a.unit_id WHERE h.id = %s"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, [handover_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0], (row[1] if per_level else None)


#: Our hand-over and the next pending ones of the same queue, each with its dossier, locked
#: (rows someone else holds are skipped, never waited for), relaxing the commit.
_BATCH_SQL = """
SELECT set_config('synchronous_commit', 'off', true), h.id,{columns}
WHERE h.id >= %s AND h.state = %s {same_queue}
ORDER BY h.id
LIMIT %s
FOR UPDATE OF h, d SKIP LOCKED
""".replace("{columns}", _DELIVERY_FROM)

#: ``pending → delivered`` for the batch and every dossier moved to its receiving agency, in one
#: statement; returns the hand-overs claimed (all of them: their rows are locked).
_MOVE_MANY_SQL = """
WITH v(id, due) AS (SELECT * FROM unnest(%s::bigint[], %s::timestamptz[])),
claimed AS (
    UPDATE {handover} h SET state = %s, delivered_at = %s, step_due_at = v.due
    FROM v WHERE h.id = v.id AND h.state = %s
    RETURNING h.id, h.dossier_id, h.to_agency_id, v.due
),
moved AS (
    UPDATE {dossier} d SET current_agency_id = c.to_agency_id, step_due_at = c.due,
           assignee_id = NULL, updated_at = %s
    FROM claimed c WHERE d.id = c.dossier_id
    RETURNING c.id
)
SELECT id FROM moved
"""


def _lock_batch(handover_id: int, size: int, level: str | None) -> list[tuple[int, _Delivery]]:
    same_queue, params = "", [handover_id, HandoverState.PENDING]
    if level is not None:  # ROUTING_QUEUES_PER_LEVEL: only targets of the same level
        same_queue = (
            f"AND t.unit_id IN (SELECT id FROM {AdministrativeUnit._meta.db_table} "  # noqa: S608
            "WHERE level = %s)"
        )
        params.append(level)
    sql = _BATCH_SQL.format(
        handover=Handover._meta.db_table,
        dossier=Dossier._meta.db_table,
        agency=Agency._meta.db_table,
        same_queue=same_queue,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, size])
        rows = cursor.fetchall()
    return [(row[1], _delivery_of(row[2:])) for row in rows]


def _deliver_batch(handover_id: int, size: int, level: str | None) -> str | None:
    """Deliver our hand-over and up to ``size - 1`` other pending ones of its queue in one
    transaction; what happened to ours, or None when its dossier was locked elsewhere (the
    others found are delivered all the same)."""
    with transaction.atomic():
        batch = _lock_batch(handover_id, size, level)
        if not batch:
            return None
        _test_hook()
        now = timezone.now()
        outcome: dict[int, str] = {}
        final = [hid for hid, found in batch if found.status in FINAL_STATUSES]
        if final:
            message = _("Hồ sơ đã kết thúc trước khi giao.")
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Handover._meta.db_table} SET state = %s, last_error = %s "  # noqa: S608
                    "WHERE id = ANY(%s) AND state = %s RETURNING id",
                    [HandoverState.CANCELLED, message, final, HandoverState.PENDING],
                )
                outcome.update((hid, "cancelled") for (hid,) in cursor.fetchall())
        moving: list[tuple[int, _Delivery, datetime.datetime | None]] = []
        dues: dict[Decimal, datetime.datetime] = {}
        for hid, found in batch:
            if found.status in FINAL_STATUSES:
                continue
            if not found.to_active:
                outcome[hid] = _block(hid, found)
                continue
            if found.step_hours is None:
                due = found.due_at  # no budget of its own: until the dossier's appointment
            else:
                if found.step_hours not in dues:
                    dues[found.step_hours] = get_calendar().add_working_hours(now, found.step_hours)
                due = dues[found.step_hours]
            moving.append((hid, found, due))
        if moving:
            sql = _MOVE_MANY_SQL.format(
                handover=Handover._meta.db_table, dossier=Dossier._meta.db_table
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    sql,
                    [
                        [hid for hid, _found, _due in moving],
                        [due for _hid, _found, due in moving],
                        HandoverState.DELIVERED,
                        now,
                        HandoverState.PENDING,
                        now,
                    ],
                )
                claimed = {hid for (hid,) in cursor.fetchall()}
            events = []
            for hid, found, due in moving:
                if hid not in claimed:
                    continue
                outcome[hid] = "delivered"
                events.append(
                    DossierEvent(
                        dossier=_moved(found, due),
                        at=now,
                        action=HANDOVER_ACTION,
                        from_status=found.status,
                        to_status=found.status,
                        from_agency_id=found.holder_id,
                        to_agency_id=found.to_id,
                        assignee_id=None,
                        note=_note(found, now),
                        payload=_payload(hid, found, now),
                        attachment_ids=[],
                        step_due_at=due,
                        is_public=True,
                    )
                )
            record_events(events)
    if handover_id not in {hid for hid, _found in batch}:
        return None
    return outcome.get(handover_id, "duplicate")


def deliver(handover_id: int) -> str:
    """Deliver one hand-over exactly once; returns what happened (``delivered``,
    ``duplicate``, ``cancelled``, ``blocked`` or ``missing``).

    With ``ROUTING_DELIVERY_BATCH`` > 1 (PostgreSQL) the hand-over is delivered together with
    other pending ones of the same queue (``_deliver_batch``); a message whose row a batch
    already delivered returns after one read that takes no lock."""
    size = batch_size()
    if size > 1 and connection.vendor == "postgresql":
        peeked = _peek(handover_id)
        if peeked is None:
            return "missing"
        state, level = peeked
        if state != HandoverState.PENDING:
            return "duplicate"
        outcome = _deliver_batch(handover_id, size, level)
        if outcome is not None:
            return outcome
        # Our own dossier was locked by someone else (a transition, another batch): wait for
        # it the one-by-one way.
    return _deliver_one(handover_id)


def _deliver_one(handover_id: int) -> str:
    """The one-by-one delivery: waits for the dossier's lock."""
    with transaction.atomic():
        if connection.vendor != "postgresql":  # PostgreSQL: set by the read below
            _relaxed_commit()
        # The dossier row is locked first (the transition service's lock order) and the row's
        # state read after the lock; the conditional UPDATE in _claim is the exactly-once guard.
        found = _read_delivery(handover_id)
        if found is None:
            return "missing"
        if found.state != HandoverState.PENDING:
            return "duplicate"
        if found.status in FINAL_STATUSES:
            message = _("Hồ sơ đã kết thúc trước khi giao.")
            claimed = _claim(handover_id, HandoverState.CANCELLED, last_error=message)
            return "cancelled" if claimed else "duplicate"
        if not found.to_active:
            return _block(handover_id, found)
        _test_hook()
        now = timezone.now()
        if found.step_hours is None:
            due = found.due_at  # no budget of its own: until the dossier's appointment
        else:
            due = get_calendar().add_working_hours(now, found.step_hours)
        if not _claim_and_move(handover_id, found, now, due):
            return "duplicate"
        dossier = _moved(found, due)
        record_event(
            dossier,
            action=HANDOVER_ACTION,
            actor=None,
            at=now,
            from_status=found.status,
            from_agency_id=found.holder_id,
            note=_note(found, now),
            payload=_payload(handover_id, found, now),
            notify=False,
        )
    return "delivered"
