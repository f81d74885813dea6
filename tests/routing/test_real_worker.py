"""Routing through a REAL Celery worker (subprocess) on Redis and the test database: commune →
district → province → back to the commune; a duplicated message; a worker killed mid-task;
the broker down when the dossier is filed."""

import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from dossiers.models import Dossier, DossierEvent, Status
from dossiers.models_routing import Handover, HandoverState
from dossiers.routing_tasks import deliver_handover, sweep_outbox
from dossiers.workflow import transition
from portal.celery import app as celery_app
from portal.tasks import noop
from tests.dossiers.factories import pdf
from tests.routing.conftest import use_broker, wait_for
from tests.routing.factories import Province

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def holder(dossier) -> int:
    return Dossier.objects.filter(pk=dossier.pk).values_list("current_agency_id", flat=True)[0]


def arrives(dossier, agency, timeout: float = 30) -> None:
    wait_for(lambda: holder(dossier) == agency.pk, timeout, f"{dossier.code} at {agency.code}")


def handover_events(dossier) -> list[tuple[str, str]]:
    return [
        (e.from_agency.code, e.to_agency.code)
        for e in DossierEvent.objects.filter(dossier=dossier, action="handover")
        .select_related("from_agency", "to_agency")
        .order_by("id")
    ]


def test_commune_district_province_and_back(worker_factory):
    worker_factory()
    p = Province("2017")
    p.commune_district_province_path()
    dossier = p.walk_in()  # committed: the on-commit hand-over goes through the broker
    arrives(dossier, p.district)
    district_step = Handover.objects.get(dossier=dossier, to_agency=p.district)
    assert district_step.step_due_at > district_step.delivered_at > district_step.created_at
    transition(dossier.code, "forward", p.staff["district"], note="Đủ điều kiện")
    arrives(dossier, p.department)
    leader = p.leader["department"]
    transition(dossier.code, "assign", leader, assignee=p.staff["department"].username)
    transition(dossier.code, "complete", leader, result_summary="Đã cấp", result_file=pdf("kq.pdf"))
    arrives(dossier, p.commune)
    transition(dossier.code, "return", p.desk["commune"], method="desk")
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED and dossier.returning_agency == p.commune
    assert handover_events(dossier) == [
        (p.commune.code, p.district.code),
        (p.district.code, p.department.code),
        (p.department.code, p.commune.code),
    ]
    steps = Handover.objects.filter(dossier=dossier).order_by("id")
    assert [s.step_index for s in steps] == [0, 1, 2, 3]
    assert [float(s.step_hours or 0) for s in steps] == [0, 8, 16, 4]
    assert all(s.state == HandoverState.DELIVERED and s.step_due_at for s in steps)


def test_a_duplicated_message_delivers_once(worker_factory):
    worker_factory(concurrency=1)
    p = Province()
    dossier = p.walk_in()
    handover = Handover.objects.get(dossier=dossier, reason="route")
    for _ in range(2):  # the same message twice more, as a broker redelivery would
        deliver_handover.apply_async((handover.pk,), queue="routing")
    counter = f"routing-test:{uuid.uuid4().hex}"
    noop.apply_async((counter,), queue="routing")  # FIFO with one process: runs after them
    store = redis.Redis.from_url(settings.REDIS_URL)
    wait_for(lambda: store.get(counter), 30, "the sentinel task")
    store.delete(counter)
    assert holder(dossier) == p.department.pk
    assert handover_events(dossier) == [(p.commune.code, p.department.code)]


def test_a_worker_killed_mid_delivery_redelivers_exactly_once(
    worker_factory, settings, tmp_path: Path
):
    # Deliveries to provincial agencies go to their own queue (queues per level), so only the
    # workers of this test consume them.
    settings.ROUTING_QUEUES_PER_LEVEL = True
    block = tmp_path / "block"
    block.write_text("hold")
    doomed = worker_factory(queues="routing.province", ROUTING_TEST_BLOCK_FILE=str(block))
    p = Province()
    dossier = p.walk_in()
    wait_for(Path(f"{block}.started").exists, 30, "the delivery to start")
    doomed.kill()
    handover = Handover.objects.get(dossier=dossier, reason="route")
    assert handover.state == HandoverState.PENDING and holder(dossier) == p.commune.pk
    block.unlink()
    worker_factory(
        queues="routing.province",
        CELERY_VISIBILITY_TIMEOUT="2",
        ROUTING_TEST_BLOCK_FILE=str(block),
    )
    arrives(dossier, p.department, timeout=45)
    handover.refresh_from_db()
    assert handover.state == HandoverState.DELIVERED
    assert handover_events(dossier) == [(p.commune.code, p.department.code)]


def test_broker_down_at_filing_then_the_sweeper_delivers(worker_factory, broker):
    worker_factory()
    p = Province()
    p.commune_district_province_path()
    use_broker("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        dossier = p.walk_in()  # must not fail: the outbox keeps the hand-over
    finally:
        use_broker(broker)
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED and dossier.current_agency == p.commune
    handover = Handover.objects.get(dossier=dossier, state=HandoverState.PENDING)
    assert handover.to_agency == p.district
    sweep_outbox.apply_async((0,))  # what beat does every minute, on the live broker
    arrives(dossier, p.district)
    handover.refresh_from_db()
    assert handover.state == HandoverState.DELIVERED and handover.sends == 1
    assert handover_events(dossier) == [(p.commune.code, p.district.code)]


def test_a_storm_of_duplicated_messages_is_delivered_in_batches_exactly_once(
    worker_factory, broker
):
    """Hand-overs pile up while no worker runs, every message is sent three times, then two
    worker processes drain the queue: each dossier arrives once, most of them delivered by
    another message's batch (the same instant), and every extra message changes nothing."""
    p = Province()
    dossiers = [p.walk_in() for _ in range(12)]  # each publishes its message on commit
    rows = list(Handover.objects.filter(dossier__in=dossiers, reason="route"))
    assert all(row.state == HandoverState.PENDING for row in rows)
    for row in rows * 2:  # the same messages twice more, as redeliveries would
        deliver_handover.apply_async((row.pk,), queue="routing")
    worker_factory(concurrency=2)
    for dossier in dossiers:
        arrives(dossier, p.department)
    store = redis.Redis.from_url(broker)
    wait_for(
        lambda: store.llen("routing") == 0 and store.hlen("unacked") == 0,
        30,
        "every message to be acknowledged",
    )
    for dossier in dossiers:
        assert handover_events(dossier) == [(p.commune.code, p.department.code)]
    delivered = Handover.objects.filter(pk__in=[row.pk for row in rows])
    assert all(h.state == HandoverState.DELIVERED for h in delivered)
    assert len({h.delivered_at for h in delivered}) < len(rows)  # batched, not one by one


def test_a_worker_keeps_its_database_connection_between_tasks(worker_factory):
    """Celery's Django fixup closed the connection around every task unless
    ``CELERY_DB_REUSE_MAX`` is set (settings): each delivery paid a new PostgreSQL backend."""
    worker_factory(concurrency=1)  # the fixture sets CELERY_DB_REUSE_MAX=100, read by settings
    key = f"routing-test:pids:{uuid.uuid4().hex}"
    for _ in range(5):
        celery_app.send_task("tests.routing.backend_pid", (key,), queue="default")
    store = redis.Redis.from_url(settings.REDIS_URL)
    wait_for(lambda: store.llen(key) == 5, 30, "five tasks")
    pids = {int(pid) for pid in store.lrange(key, 0, -1)}
    store.delete(key)
    assert len(pids) == 1
