"""Delivery of hand-overs (the body of ``routing_tasks.deliver_handover``) and the outbox
sweeper; planning (where a dossier goes next) is in ``dossiers/routing.py``.

``deliver`` runs once per message and must be cheap: routing throughput is measured against a
no-op task (``dossiers/benchmark.py``). So it reads what it needs in one plain SQL statement
that also locks the dossier row (the transition service's lock order) and relaxes the commit,
flips the outbox row ``pending → delivered`` with a conditional UPDATE that moves the dossier in
the same statement (the exactly-once guard: a duplicated, redelivered or swept message finds it
delivered and changes nothing), and appends the history row through ``record_event``: four
statements and a commit. The ORM handles the rare paths. The other apps' listeners of the
history row must stay cheap for a hand-over (statistics queue it for a batch, postal ignores
events that keep the status).
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dossiers.events import record_event
from dossiers.models import FINAL_STATUSES, Dossier
from dossiers.models_routing import (
    Handover,
    HandoverState,
    RoutingAlert,
    RoutingAlertKind,
)
from dossiers.routing import (
    HANDOVER_ACTION,
    enqueue,
    max_sends,
    queue_for,
    raise_alert,
    sweep_after,
)
from portal.models import Agency
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
_DELIVERY_SQL = """
SELECT h.state, h.dossier_id, h.reason, h.step_index, h.step_name, h.step_hours, h.created_at,
       d.status, d.current_agency_id, d.due_at,
       t.id, t.is_active, t.name, t.code, f.name, f.code,
       d.code, d.receiving_agency_id, d.returning_agency_id
FROM {handover} h
JOIN {dossier} d ON d.id = h.dossier_id
JOIN {agency} t ON t.id = h.to_agency_id
LEFT JOIN {agency} f ON f.id = h.from_agency_id
WHERE h.id = %s
"""


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
    row = list(row[1:] if postgresql else row)
    row[5] = Decimal(str(row[5])) if row[5] is not None else None
    row[6], row[9] = _db_datetime(row[6]), _db_datetime(row[9])
    row[11] = bool(row[11])
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


def deliver(handover_id: int) -> str:
    """Deliver one hand-over exactly once; returns what happened (``delivered``,
    ``duplicate``, ``cancelled``, ``blocked`` or ``missing``)."""
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
        # The history row: record_event reads these fields of the dossier, nothing else.
        dossier = Dossier(
            pk=found.dossier_id,
            code=found.code,
            receiving_agency_id=found.receiving_id,
            returning_agency_id=found.returning_id,
            status=found.status,
            current_agency_id=found.to_id,
            assignee_id=None,
            step_due_at=due,
        )
        record_event(
            dossier,
            action=HANDOVER_ACTION,
            actor=None,
            at=now,
            from_status=found.status,
            from_agency_id=found.holder_id,
            note=_("Giao: %(giver)s lúc %(given)s. Nhận: %(taker)s lúc %(taken)s.")
            % {
                "giver": found.from_name or "—",
                "given": _local(found.created_at),
                "taker": found.to_name,
                "taken": _local(now),
            },
            payload={
                "handover": handover_id,
                "reason": found.reason,
                "step": found.step_index + 1,
                "step_name": found.step_name,
                "given_at": found.created_at.isoformat(),
                "received_at": now.isoformat(),
                "from_agency": found.from_code or "",
                "to_agency": found.to_code,
            },
            notify=False,
        )
    return "delivered"


# --- the outbox sweeper ---------------------------------------------------------------------


def sweep_outbox(older_than: datetime.timedelta | None = None, limit: int = 1000) -> dict[str, int]:
    """Re-send hand-overs still pending after ``older_than`` (default: the setting); after
    ``ROUTING_MAX_SENDS`` re-sends mark them failed with an alert. Safe to run concurrently."""
    now = timezone.now()
    cutoff = now - (sweep_after() if older_than is None else older_than)
    resend: list[tuple[int, str]] = []
    with transaction.atomic():
        rows = list(
            Handover.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("to_agency__unit", "dossier")
            .filter(state=HandoverState.PENDING, created_at__lte=cutoff)
            .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=cutoff))
            .order_by("created_at")[:limit]
        )
        failed = [h for h in rows if h.sends >= max_sends()]
        again = [h for h in rows if h.sends < max_sends()]
        Handover.objects.filter(pk__in=[h.pk for h in again]).update(
            sends=F("sends") + 1, last_sent_at=now
        )
        message = _("Không giao được hồ sơ sau %(n)d lần gửi lại.") % {"n": max_sends()}
        Handover.objects.filter(pk__in=[h.pk for h in failed]).update(
            state=HandoverState.FAILED, last_error=message
        )
        if failed:
            RoutingAlert.objects.bulk_create(
                [
                    RoutingAlert(
                        dossier_id=h.dossier_id,
                        handover=h,
                        kind=RoutingAlertKind.DELIVERY_FAILED,
                        reason=h.reason,
                        step_index=h.step_index,
                        message=message,
                    )
                    for h in failed
                ],
                ignore_conflicts=True,
            )
        resend = [(h.pk, queue_for(h.to_agency)) for h in again]
        for handover_id, queue in resend:
            transaction.on_commit(partial(enqueue, handover_id, queue))
    return {"resent": len(resend), "failed": len(failed)}
