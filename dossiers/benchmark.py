"""Routing throughput (``make bench`` extras; shared/docs/benchmarks.md).

``run()`` is called by ``bench/run.py`` with Django set up on the bench database and a real
worker (prefork, concurrency 2) consuming ``default,routing,…`` on the bench broker. It measures,
in one run:

* **floor** — N no-op tasks (``portal.tasks.noop`` counting itself in Redis), end to end;
* **burst** — N dossiers received at a commune desk handed over to a provincial department:
  outbox rows committed in batches and their deliveries published on commit (as the engine
  does), through ``deliver_handover`` on the ``routing`` queue; dossiers routed per second, the
  ratio to the floor (mean of the floor measured before and after), and the latency from the
  batch's commit to arrival (p50/p95: under a burst it is mostly queueing);
* **paced** — a small number of dossiers received one by one through the real ``receive``
  transition (route, outbox, on-commit publish) at a rate the worker keeps up with: the latency
  of the engine itself, from the hand-over's transaction to arrival;
* that every dossier arrived exactly once (one "handover" history row each, at the target).

Nothing here asserts time. ``BENCH_ROUTING_N`` (default 10,000) for a quick try;
``python -m dossiers.benchmark`` runs it against ``DATABASE_URL`` / ``CELERY_BROKER_URL`` with a
worker of its own.
"""

from __future__ import annotations

import datetime
import os
import time
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

BATCH = 250


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


def _wait(predicate, timeout: float, poll: float = 0.05) -> float:
    """Seconds until ``predicate()`` is true (``timeout`` raises)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise TimeoutError("benchmark: the worker did not finish in time")
        time.sleep(poll)
    return time.monotonic() - started


def _drain_queues(timeout: float = 120) -> None:
    """Let earlier bench work (notifications, receipts …) finish before measuring."""
    broker = _redis(settings.CELERY_BROKER_URL)
    names = ["default", "routing", "notifications", "documents", "postal"]
    _wait(lambda: sum(broker.llen(n) for n in names) == 0, timeout, poll=0.2)


def _fixtures() -> dict:
    """A commune desk, a provincial department, a province-level procedure received at the
    commune, and a desk user there (created once, reused by later runs)."""
    from portal.models import Agency, AgencyKind, Role, StaffMembership, UnitLevel, User
    from procedures.models import Channel, Procedure, ProcedureVersion, VersionState

    commune = (
        Agency.objects.filter(unit__level=UnitLevel.COMMUNE, is_receiving_desk=True, is_active=True)
        .order_by("code")
        .first()
    )
    department = (
        Agency.objects.filter(
            unit__level=UnitLevel.PROVINCE, kind=AgencyKind.DEPARTMENT, is_active=True
        )
        .order_by("code")
        .first()
    )
    if commune is None or department is None:
        raise RuntimeError("benchmark: run seed_demo first (needs communes and departments)")
    procedure, _ = Procedure.objects.get_or_create(code="BENCH.ROUTING")
    version = ProcedureVersion.objects.filter(procedure=procedure).first()
    if version is None:
        version = ProcedureVersion.objects.create(
            procedure=procedure,
            number=1,
            state=VersionState.PUBLISHED,
            name="Thủ tục liên thông (đo hiệu năng)",
            gov_level=UnitLevel.PROVINCE,
            service_level=3,
            implementing_agency=department,
        )
        for kind in ("online", "direct"):
            Channel.objects.create(
                version=version, kind=kind, processing_time=Decimal("10"), time_unit="working_days"
            )
    version.receiving_agencies.add(commune)
    desk, _ = User.objects.get_or_create(username="bench.routing.desk")
    StaffMembership.objects.get_or_create(user=desk, agency=commune, role=Role.DESK)
    return {"commune": commune, "department": department, "version": version, "desk": desk}


def _dossiers(fx: dict, count: int, run: str, *, received: bool) -> list[int]:
    """``count`` dossiers at the commune desk, written in bulk (filing is not measured)."""
    from dossiers.models import Dossier, FilingChannel, Status

    now = timezone.now()
    due = now + datetime.timedelta(days=14)
    ids: list[int] = []
    for start in range(0, count, 1000):
        rows = [
            Dossier(
                code=f"BR{run}-{'R' if received else 'S'}{i:06d}",
                procedure_id=fx["version"].procedure_id,
                procedure_version=fx["version"],
                channel=FilingChannel.DIRECT if received else FilingChannel.ONLINE,
                applicant_name="Người nộp thử",
                applicant_phone="0912345678",
                applicant_id_number="068123456789",
                applicant_address="Lâm Đồng",
                receiving_agency=fx["commune"],
                current_agency=fx["commune"],
                returning_agency=fx["commune"],
                status=Status.RECEIVED if received else Status.SUBMITTED,
                submitted_at=now,
                received_at=now if received else None,
                due_at=due if received else None,
                original_due_at=due if received else None,
                step_due_at=due if received else None,
                intake_due_at=None if received else due,
            )
            for i in range(start, min(count, start + 1000))
        ]
        ids.extend(d.pk for d in Dossier.objects.bulk_create(rows, batch_size=1000))
    return ids


def _worker_cpu() -> float:
    """CPU seconds used so far by the worker processes on our broker and by the database
    backends of our database (this process's excluded): a load-independent cost per task on a
    shared machine, where wall-clock rates move with the neighbours. Linux only; 0 elsewhere."""
    from django.db import connection

    broker = f"CELERY_BROKER_URL={settings.CELERY_BROKER_URL}".encode()
    pids: list[str] = []
    proc = "/proc"
    if not os.path.isdir(proc):
        return 0.0
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        try:
            with open(f"{proc}/{pid}/cmdline", "rb") as f:
                if b"celery" not in f.read():
                    continue
            with open(f"{proc}/{pid}/environ", "rb") as f:
                if broker in f.read().split(b"\0"):
                    pids.append(pid)
        except OSError:
            continue
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids += [str(row[0]) for row in cursor.fetchall()]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"{proc}/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return total / ticks


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _floor(n: int, timeout: float) -> float:
    """No-op tasks per second, end to end, on the same broker and worker."""
    from portal.tasks import noop

    key = f"bench:noop:{uuid.uuid4().hex}"
    counter = _redis(settings.REDIS_URL)
    started = time.monotonic()
    for _ in range(n):
        noop.apply_async((key,))
    _wait(lambda: int(counter.get(key) or 0) >= n, timeout)
    elapsed = time.monotonic() - started
    counter.delete(key)
    return n / elapsed


def _burst(fx: dict, dossier_ids: list[int], run: str, timeout: float) -> dict:
    from dossiers.models_routing import Handover, HandoverReason, HandoverState
    from dossiers.routing_tasks import deliver_handover

    committed: dict[int, float] = {}
    first_id = last_id = None
    started = time.monotonic()
    wall_start = time.time()
    for start in range(0, len(dossier_ids), BATCH):
        with transaction.atomic():
            now = timezone.now()
            rows = Handover.objects.bulk_create(
                [
                    Handover(
                        dossier_id=dossier_id,
                        step_index=1,
                        step_name="Thẩm định, giải quyết",
                        reason=HandoverReason.ROUTE,
                        from_agency=fx["commune"],
                        to_agency=fx["department"],
                        idempotency_key=f"bench-{run}-{dossier_id}",
                        created_at=now,
                    )
                    for dossier_id in dossier_ids[start : start + BATCH]
                ]
            )
        at = time.time()  # committed: publish, as the engine's on-commit hook does
        for row in rows:
            committed[row.pk] = at
            deliver_handover.apply_async((row.pk,), queue="routing")
        first_id = rows[0].pk if first_id is None else first_id
        last_id = rows[-1].pk
    published = time.monotonic() - started
    ours = Handover.objects.filter(pk__gte=first_id, pk__lte=last_id)
    delivered = ours.filter(state=HandoverState.DELIVERED)
    _wait(lambda: delivered.count() >= len(dossier_ids), timeout, poll=0.25)
    span = ours.aggregate(last=Max("delivered_at"), first=Min("created_at"))
    elapsed = span["last"].timestamp() - wall_start
    latencies = [
        (delivered_at.timestamp() - committed[pk]) * 1000
        for pk, delivered_at in ours.values_list("pk", "delivered_at")
    ]
    return {
        "dossiers": len(dossier_ids),
        "seconds": round(elapsed, 2),
        "publish_seconds": round(published, 2),
        "routed_per_second": round(len(dossier_ids) / elapsed, 1),
        "latency_p50_ms": round(_percentile(latencies, 0.5), 1),
        "latency_p95_ms": round(_percentile(latencies, 0.95), 1),
        "latency_max_ms": round(max(latencies), 1),
    }


def _paced(fx: dict, dossier_ids: list[int], rate: float, timeout: float) -> dict:
    from dossiers.models import Dossier
    from dossiers.models_routing import Handover, HandoverState
    from dossiers.workflow import transition

    codes = list(Dossier.objects.filter(pk__in=dossier_ids).values_list("code", flat=True))
    for code in codes:
        began = time.monotonic()
        transition(code, "receive", fx["desk"])
        time.sleep(max(0.0, 1 / rate - (time.monotonic() - began)))
    routed = Handover.objects.filter(dossier_id__in=dossier_ids, reason="route")
    _wait(
        lambda: routed.filter(state=HandoverState.DELIVERED).count() >= len(dossier_ids),
        timeout,
        poll=0.1,
    )
    latencies = [
        (delivered - created).total_seconds() * 1000
        for created, delivered in routed.values_list("created_at", "delivered_at")
    ]
    return {
        "dossiers": len(dossier_ids),
        "rate_per_second": rate,
        "latency_p50_ms": round(_percentile(latencies, 0.5), 1),
        "latency_p95_ms": round(_percentile(latencies, 0.95), 1),
        "latency_max_ms": round(max(latencies), 1),
    }


def _in_process(fx: dict, run: str, count: int = 200) -> dict:
    """Milliseconds per delivery called in this process: the engine alone, then with the
    ``dossier_transitioned`` receivers of the other apps (statistics, postal, documents …)
    that run on commit of every hand-over — where a delivery's time goes."""
    from unittest import mock

    from dossiers import routing_delivery
    from dossiers.events import dossier_transitioned
    from dossiers.models_routing import Handover, HandoverReason

    result = {}
    for label, receivers in (("engine_only_ms", []), ("with_receivers_ms", None)):
        ids = _dossiers(fx, count, f"{run}{label[0]}", received=True)
        rows = Handover.objects.bulk_create(
            Handover(
                dossier_id=dossier_id,
                step_index=1,
                reason=HandoverReason.ROUTE,
                from_agency=fx["commune"],
                to_agency=fx["department"],
                idempotency_key=f"bench-{run}-{label[0]}-{dossier_id}",
                created_at=timezone.now(),
            )
            for dossier_id in ids
        )
        patch = (
            mock.patch.object(dossier_transitioned, "receivers", receivers)
            if receivers is not None
            else mock.patch.object(
                dossier_transitioned, "receivers", dossier_transitioned.receivers
            )
        )
        with patch:
            started = time.perf_counter()
            for row in rows:
                routing_delivery.deliver(row.pk)
            result[label] = round((time.perf_counter() - started) * 1000 / count, 2)
    return result


def _exactly_once(fx: dict, dossier_ids: list[int]) -> dict:
    from dossiers.models import Dossier, DossierEvent

    per_dossier = (
        DossierEvent.objects.filter(dossier_id__in=dossier_ids, action="handover")
        .values("dossier_id")
        .annotate(n=Count("id"))
    )
    counts = [row["n"] for row in per_dossier]
    at_target = Dossier.objects.filter(pk__in=dossier_ids, current_agency=fx["department"]).count()
    return {
        "dossiers": len(dossier_ids),
        "arrived": len(counts),
        "delivered_twice": sum(1 for n in counts if n > 1),
        "at_target": at_target,
        "ok": len(counts) == len(dossier_ids) == at_target and all(n == 1 for n in counts),
    }


def run() -> dict:
    n = int(os.environ.get("BENCH_ROUTING_N") or 10_000)
    paced_n = int(os.environ.get("BENCH_ROUTING_PACED_N") or min(50, n))
    timeout = max(300.0, n / 5)
    run_id = uuid.uuid4().hex[:6]
    fx = _fixtures()
    burst_ids = _dossiers(fx, n, run_id, received=True)
    paced_ids = _dossiers(fx, paced_n, run_id, received=False)
    _drain_queues()
    cpu = [_worker_cpu()]
    floor_before = _floor(n, timeout)
    cpu.append(_worker_cpu())
    burst = _burst(fx, burst_ids, run_id, timeout)
    cpu.append(_worker_cpu())
    floor_after = _floor(n, timeout)
    cpu.append(_worker_cpu())
    floor = (floor_before + floor_after) / 2
    _drain_queues()
    paced = _paced(fx, paced_ids, rate=5.0, timeout=timeout)
    in_process = _in_process(fx, run_id)
    return {
        "n": n,
        "noop_tasks_per_second": round(floor, 1),
        "noop_before_after": [round(floor_before, 1), round(floor_after, 1)],
        "routed_per_second": burst["routed_per_second"],
        "ratio_to_noop": round(burst["routed_per_second"] / floor, 3),
        "target_ratio": 0.5,
        "p95_commit_to_arrival_ms": burst["latency_p95_ms"],
        "burst": burst,
        # CPU of worker + database per task: the load-independent view of the same ratio.
        "cpu_ms_per_noop": round((cpu[1] - cpu[0] + cpu[3] - cpu[2]) * 500 / n, 3),
        "cpu_ms_per_delivery": round((cpu[2] - cpu[1]) * 1000 / n, 3),
        "paced": paced,
        "in_process_per_delivery": in_process,
        "exactly_once": _exactly_once(fx, burst_ids + paced_ids),
    }


if __name__ == "__main__":  # pragma: no cover - manual runs
    import json
    import sys
    from pathlib import Path

    import django

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from bench import harness

    worker = harness.start_worker(
        dict(os.environ),
        Path("var/bench-routing-worker.log"),
        "default,routing,notifications,documents",
    )
    try:
        time.sleep(5)
        print(json.dumps(run(), indent=1))
    finally:
        worker.stop()
