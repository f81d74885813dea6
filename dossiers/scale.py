"""Synthetic dossiers at scale for benchmarks and statistics (``manage.py seed_scale``).

Dossiers are spread over the published catalog and its receiving desks with realistic states,
dates (deadlines from the real working calendar) and codes (continuing each desk's daily
sequence), each with its history rows (intake, and the current state when it differs).
On PostgreSQL rows go in with ``COPY`` in batches; elsewhere with ``bulk_create``.

``years`` mode (``--years 2017`` or ``2017-2019``): every dossier was received and resolved
(returned, status 10) within those years, and only procedures at service level 3 and 4 are used,
split in the seed's ratio — 99,754 level-3 to 37,284 level-4 dossiers in 2017, so
``--dossiers 137038 --years 2017`` reproduces the seed's figures exactly. Without ``years``
dossiers are spread over the last twelve months in every status.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from dossiers.codes import format_code
from dossiers.deadlines import get_calendar
from dossiers.models import Dossier, DossierCodeCounter, DossierEvent, Status
from portal.models import Agency, AgencyKind
from procedures.models import ProcedureVersion

SEED_LEVEL3, SEED_LEVEL4 = 99_754, 37_284
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thanh", "Quốc"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hoà", "Khánh", "Lan", "Mai", "Nam", "Phúc", "Quế"]
# Current status → weight, in the default (rolling twelve months) mode.
STATUS_WEIGHTS = {
    Status.RETURNED: 58,
    Status.RESULT_READY: 5,
    Status.PROCESSING: 12,
    Status.RECEIVED: 5,
    Status.SUBMITTED: 4,
    Status.SUPPLEMENT_REQUESTED: 3,
    Status.PAYMENT_REQUESTED: 2,
    Status.SUSPENDED: 1,
    Status.REFUSED: 3,
    Status.WITHDRAWN: 7,
}
FINAL_ACTION = {
    Status.RETURNED: "return",
    Status.RESULT_READY: "complete",
    Status.PROCESSING: "assign",
    Status.SUPPLEMENT_REQUESTED: "request-supplement",
    Status.PAYMENT_REQUESTED: "request-payment",
    Status.SUSPENDED: "suspend",
    Status.REFUSED: "refuse",
    Status.WITHDRAWN: "withdraw",
}


@dataclass
class VersionInfo:
    id: int
    procedure_id: int
    service_level: int
    desks: list[Agency]
    channels: dict[str, tuple[Decimal, str, int]]  # kind → (time, unit, fee)
    postal: bool


def parse_years(text: str | None) -> list[int]:
    """``2017`` → [2017]; ``2017-2019`` → [2017, 2018, 2019]; ``2017,2019`` → [2017, 2019]."""
    if not text:
        return []
    years: set[int] = set()
    for part in str(text).split(","):
        part = part.strip()
        if "-" in part:
            first, last = (int(x) for x in part.split("-", 1))
            years.update(range(first, last + 1))
        elif part:
            years.add(int(part))
    if not years or min(years) < 2000 or max(years) > 2100 or len(years) > 50:
        raise ValueError("years must be between 2000 and 2100")
    return sorted(years)


def level_split(total: int) -> tuple[int, int]:
    """Level-3 and level-4 counts in the seed's ratio (exact for 137,038)."""
    level3 = round(total * SEED_LEVEL3 / (SEED_LEVEL3 + SEED_LEVEL4))
    return level3, total - level3


def load_catalog() -> list[VersionInfo]:
    agencies = {a.pk: a for a in Agency.objects.filter(is_active=True)}
    desks_by_unit: dict[int, list[Agency]] = defaultdict(list)
    for agency in sorted(agencies.values(), key=lambda a: a.code):
        if agency.is_receiving_desk:
            desks_by_unit[agency.unit_id].append(agency)
    for desks in desks_by_unit.values():
        desks.sort(key=lambda a: a.kind != AgencyKind.ONE_STOP_CENTRE)

    def default_desks(implementing: Agency | None) -> list[Agency]:
        if implementing is None:
            return []
        if implementing.is_receiving_desk:
            return [implementing]
        if desks_by_unit.get(implementing.unit_id):
            return desks_by_unit[implementing.unit_id][:1]
        parent = agencies.get(implementing.parent_id)
        while parent is not None:
            if parent.is_receiving_desk:
                return [parent]
            parent = agencies.get(parent.parent_id)
        return []

    versions = []
    queryset = ProcedureVersion.objects.published().prefetch_related(
        "channels", "receiving_agencies"
    )
    for version in queryset.iterator(chunk_size=2000):
        explicit = [agencies[a.pk] for a in version.receiving_agencies.all() if a.pk in agencies]
        desks = explicit or default_desks(agencies.get(version.implementing_agency_id))
        if not desks:
            continue
        versions.append(
            VersionInfo(
                id=version.pk,
                procedure_id=version.procedure_id,
                service_level=version.service_level,
                desks=desks,
                channels={
                    c.kind: (Decimal(c.processing_time), c.time_unit, c.fee_vnd)
                    for c in version.channels.all()
                },
                postal=version.postal_eligible,
            )
        )
    return versions


class DeadlineCache:
    """Appointments from the real calendar, memoised per (start hour, amount, unit)."""

    def __init__(self):
        self.calendar = get_calendar()
        self.cache: dict[tuple, datetime.datetime] = {}

    def due(self, start: datetime.datetime, amount: Decimal, unit: str) -> datetime.datetime:
        hour = start.replace(minute=0, second=0, microsecond=0)
        key = (hour, amount, unit)
        if key not in self.cache:
            self.cache[key] = self.calendar.due_at(hour, amount, unit)
        return self.cache[key] + (start - hour)


class Generator:
    """Builds dossier rows and their history rows in memory, batch by batch."""

    def __init__(self, versions: list[VersionInfo], years: list[int], rng: random.Random):
        self.rng = rng
        self.years = years
        self.deadlines = DeadlineCache()
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.counters: dict[tuple[int, datetime.date], int] = {}
        self.codes = {a.pk: a.code for v in versions for a in v.desks}
        if years:
            self.pools = {
                3: [v for v in versions if v.service_level == 3],
                4: [v for v in versions if v.service_level == 4],
            }
        else:
            self.pools = {0: versions}
        for counter in DossierCodeCounter.objects.all().values("agency_id", "day", "last_value"):
            self.counters[(counter["agency_id"], counter["day"])] = counter["last_value"]

    def plan(self, total: int) -> list[int]:
        """The pool key (service level, or 0) of each dossier, shuffled."""
        if not self.years:
            return [0] * total
        level3, level4 = level_split(total)
        if not self.pools[3]:
            level3, level4 = 0, total
        if not self.pools[4]:
            level3, level4 = total, 0
        if not self.pools[3] and not self.pools[4]:
            raise ValueError("no published procedure at service level 3 or 4")
        keys = [3] * level3 + [4] * level4
        self.rng.shuffle(keys)
        return keys

    def _moment(self) -> datetime.datetime:
        rng = self.rng
        if self.years:
            year = rng.choice(self.years)
            start = datetime.datetime(year, 1, 2, tzinfo=self.tz)
            span = (datetime.datetime(year, 12, 1, tzinfo=self.tz) - start).total_seconds()
        else:
            start = self.now - datetime.timedelta(days=365)
            span = 365 * 86400 - 3600
        moment = start + datetime.timedelta(seconds=rng.random() * span)
        # Office-ish hours: most filings between 07:00 and 17:00.
        moment = moment.replace(hour=rng.choice((7, 8, 9, 10, 13, 14, 15, 16)))
        if not self.years and moment > self.now - datetime.timedelta(hours=6):
            moment -= datetime.timedelta(days=1)  # never in the future, room for intake
        return moment

    def _code(self, agency_id: int, at: datetime.datetime) -> str:
        day = at.astimezone(self.tz).date()
        key = (agency_id, day)
        self.counters[key] = self.counters.get(key, 0) + 1
        return format_code(self.codes[agency_id], day, self.counters[key])

    def _status(self) -> int:
        if self.years:
            return Status.RETURNED
        statuses = list(STATUS_WEIGHTS)
        return self.rng.choices(statuses, weights=list(STATUS_WEIGHTS.values()))[0]

    def dossier(self, pool: int) -> tuple[dict, list[dict]]:
        rng = self.rng
        version = rng.choice(self.pools[pool])
        desk = rng.choice(version.desks)
        submitted = self._moment()
        status = self._status()
        if not self.years and submitted > self.now - datetime.timedelta(days=3):
            status = rng.choice([Status.SUBMITTED, Status.RECEIVED, Status.PROCESSING])
        online_capable = version.service_level >= 3
        if status in (Status.SUBMITTED, Status.REFUSED) and not online_capable:
            status = Status.RECEIVED
        online = online_capable and (
            status in (Status.SUBMITTED, Status.REFUSED) or rng.random() < 0.55
        )
        postal = not online and version.postal and rng.random() < 0.1
        channel = "online" if online else ("postal" if postal else "direct")
        time, unit, fee = (
            version.channels.get(channel)
            or version.channels.get("direct")
            or next(iter(version.channels.values()), (Decimal(5), "working_days", 0))
        )
        received = None
        if status not in (Status.SUBMITTED, Status.REFUSED):
            hours = rng.choice((1, 2, 3, 5)) if online else 0
            received = submitted + datetime.timedelta(hours=hours)
        due = self.deadlines.due(received, time, unit) if received else None
        row = {
            "code": self._code(desk.pk, submitted),
            "procedure_id": version.procedure_id,
            "procedure_version_id": version.id,
            "channel": channel,
            "applicant_id": None,
            "applicant_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
            "applicant_phone": f"09{rng.randrange(10**8):08d}",
            "applicant_id_number": f"068{rng.randrange(10**9):09d}",
            "applicant_address": f"{rng.randrange(1, 300)} đường số {rng.randrange(1, 40)}",
            "applicant_email": "",
            "summary": "",
            "receiving_agency_id": desk.pk,
            "current_agency_id": desk.pk,
            "returning_agency_id": desk.pk,
            "deciding_agency_id": None,
            "assignee_id": None,
            "status": status,
            "submitted_at": submitted,
            "received_at": received,
            "intake_due_at": (
                self.deadlines.due(submitted, Decimal(8), "working_hours") if online else None
            ),
            "due_at": due,
            "original_due_at": due,
            "step_due_at": due,
            "paused_at": None,
            "paused_hours": Decimal("0"),
            "completed_at": None,
            "returned_at": None,
            "closed_at": None,
            "result_delivery": "desk",
            "pickup_by_post": False,
            "delivery_address": "",
            "return_method": "",
            "result_summary": "",
            "approval_requested_at": None,
            "result_signed_at": None,
            "result_countersigned_at": None,
            "fee_vnd": fee,
            "payment_due_vnd": 0,
            "paid_online": False,
            "submission_key": None,
            "created_by_id": None,
            "created_at": submitted,
            "updated_at": submitted,
        }
        last = received or submitted
        if status in (Status.RESULT_READY, Status.RETURNED):
            last = self._completion(received, due)
            row["completed_at"] = last
            row["deciding_agency_id"] = desk.pk
            if status == Status.RETURNED:
                row["returned_at"] = row["closed_at"] = last
                row["return_method"] = "desk"
        elif status in (Status.REFUSED, Status.WITHDRAWN):
            last = last + datetime.timedelta(hours=rng.randrange(1, 48))
            row["closed_at"] = last
        elif status in (Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED, Status.SUSPENDED):
            last = last + datetime.timedelta(hours=rng.randrange(1, 30))
            row["paused_at"] = last
        elif status == Status.PROCESSING:
            last = last + datetime.timedelta(minutes=rng.randrange(10, 600))
        if not self.years:
            last = min(last, self.now)
        row["updated_at"] = last
        events = []
        if online:
            events.append(self._event(row, submitted, None, Status.SUBMITTED, "submit"))
            if received is not None:
                events.append(
                    self._event(row, received, Status.SUBMITTED, Status.RECEIVED, "receive")
                )
        else:
            events.append(self._event(row, received, None, Status.RECEIVED, "receive"))
        reached = events[-1]["to_status"]
        if status != reached:
            events.append(self._event(row, last, reached, status, FINAL_ACTION[status]))
        return row, events

    def _completion(self, received: datetime.datetime, due: datetime.datetime) -> datetime.datetime:
        """Mostly early, some on the day, a few late; within the year in ``years`` mode."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.72:
            done = due - datetime.timedelta(days=rng.randrange(1, 6), hours=rng.randrange(4))
        elif roll < 0.92:
            done = due - datetime.timedelta(hours=rng.randrange(0, 3))
        else:
            done = due + datetime.timedelta(days=rng.randrange(1, 6))
        done = max(done, received + datetime.timedelta(hours=1))
        if self.years:
            local = received.astimezone(self.tz)
            done = min(done, datetime.datetime(local.year, 12, 31, 16, tzinfo=self.tz))
        else:
            done = min(done, self.now - datetime.timedelta(minutes=5))
        return done

    def _event(self, row, at, from_status, to_status, action) -> dict:
        return {
            "at": at,
            "actor_id": None,
            "actor_name": "",
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "from_agency_id": row["current_agency_id"] if from_status else None,
            "to_agency_id": row["current_agency_id"],
            "assignee_id": None,
            "note": "",
            "payload": {},
            "attachment_ids": [],
            "step_due_at": row["step_due_at"],
            "is_public": True,
        }


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields if f.column != "id"]


def _csv_value(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _copy(cursor, table: str, columns: list[str], rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([_csv_value(row[c]) for c in columns])
    buffer.seek(0)
    cursor.copy_expert(
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
    )


def _reserve_ids(cursor, table: str, count: int) -> list[int]:
    cursor.execute(
        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
        [table, count],
    )
    return [r[0] for r in cursor.fetchall()]


def _write_postgresql(batch: list[tuple[dict, list[dict]]]) -> int:
    dossier_table = Dossier._meta.db_table
    event_table = DossierEvent._meta.db_table
    with connection.cursor() as cursor:
        ids = _reserve_ids(cursor, dossier_table, len(batch))
        dossiers, events = [], []
        for pk, (row, row_events) in zip(ids, batch, strict=True):
            dossiers.append({**row, "id": pk})
            for event in row_events:
                events.append({**event, "dossier_id": pk})
        _copy(cursor, dossier_table, ["id", *_columns(Dossier)], dossiers)
        _copy(cursor, event_table, _columns(DossierEvent), events)
    return len(events)


def _write_orm(batch: list[tuple[dict, list[dict]]]) -> int:
    created = Dossier.objects.bulk_create([Dossier(**row) for row, _ in batch])
    events = [
        DossierEvent(dossier_id=dossier.pk, **event)
        for dossier, (_, row_events) in zip(created, batch, strict=True)
        for event in row_events
    ]
    DossierEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)


def _save_counters(counters: dict[tuple[int, datetime.date], int]) -> None:
    """Later filings continue after the synthetic codes (never reuse a number)."""
    existing = {(c.agency_id, c.day): c for c in DossierCodeCounter.objects.all()}
    new, changed = [], []
    for (agency_id, day), value in counters.items():
        counter = existing.get((agency_id, day))
        if counter is None:
            new.append(DossierCodeCounter(agency_id=agency_id, day=day, last_value=value))
        elif counter.last_value < value:
            counter.last_value = value
            changed.append(counter)
    DossierCodeCounter.objects.bulk_create(new, batch_size=5000)
    DossierCodeCounter.objects.bulk_update(changed, ["last_value"], batch_size=5000)


def seed(
    total: int,
    *,
    years: list[int] | None = None,
    batch_size: int = 20_000,
    seed_value: int = 2017,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Insert ``total`` synthetic dossiers; returns counts (dossiers, events, level3, level4)."""
    versions = load_catalog()
    if not versions:
        raise ValueError("the catalog has no published procedure with a receiving desk")
    rng = random.Random(seed_value)  # noqa: S311 - synthetic data, reproducible
    generator = Generator(versions, years or [], rng)
    plan = generator.plan(total)
    write = _write_postgresql if connection.vendor == "postgresql" else _write_orm
    counts = {"dossiers": 0, "events": 0, "level3": plan.count(3), "level4": plan.count(4)}
    with transaction.atomic():
        for start in range(0, total, batch_size):
            keys = plan[start : start + batch_size]
            batch = [generator.dossier(key) for key in keys]
            counts["events"] += write(batch)
            counts["dossiers"] += len(batch)
            if progress:
                progress(counts["dossiers"], total)
        _save_counters(generator.counters)
    return counts
