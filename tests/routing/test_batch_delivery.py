"""Batched delivery (``routing_delivery._deliver_batch``, ``ROUTING_DELIVERY_BATCH``): one
delivery task also delivers the other pending hand-overs of its queue, each exactly once, with
its own history row, step deadline and signal; a row that cannot move is blocked or cancelled
alone; the other rows' own messages then find them done."""

import pytest

from dossiers import routing_delivery, tracking
from dossiers.events import dossier_transitioned
from dossiers.models import Dossier, DossierEvent, Status
from dossiers.models_routing import Handover, HandoverState, RoutingAlert, RoutingAlertKind
from dossiers.workflow import transition
from portal.worktime import get_calendar
from procedures.models_paths import StepOwner
from tests.routing.factories import Province

pytestmark = pytest.mark.django_db


def pending(dossier) -> Handover:
    return Handover.objects.get(dossier=dossier, state=HandoverState.PENDING)


def handover_events(dossier) -> list[DossierEvent]:
    return list(DossierEvent.objects.filter(dossier=dossier, action="handover"))


def test_one_task_delivers_the_batch_and_blocks_or_cancels_only_the_rows_that_cannot_move(
    settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.ROUTING_DELIVERY_BATCH = 10
    p = Province()
    to_department = (
        {"owner": StepOwner.RECEIVING},
        {"owner": StepOwner.IMPLEMENTING, "name": "Thẩm định", "hours": "16"},
        {"owner": StepOwner.RECEIVING, "returns": True},
    )
    p.set_path(*to_department)
    with django_capture_on_commit_callbacks(execute=False):  # the messages are "in the queue"
        first = p.walk_in()
        p.set_path(
            {"owner": StepOwner.RECEIVING},
            {"owner": StepOwner.AGENCY, "agency": p.other_department, "name": "Thẩm định"},
            {"owner": StepOwner.RECEIVING, "returns": True},
        )
        stranded = p.walk_in()
        p.set_path(*to_department)
        second = p.walk_in()
        closed = p.online()
        transition(closed.code, "receive", p.desk["commune"])
        transition(closed.code, "withdraw", p.citizen, reason="Không cần nữa")
        third = p.walk_in()
    p.other_department.is_active = False
    p.other_department.save()
    rows = {d.code: pending(d) for d in (first, stranded, second, closed, third)}

    heard, forgotten = [], []
    monkeypatch.setattr(tracking, "forget_many", forgotten.extend)
    dossier_transitioned.connect(
        lambda sender, **kw: heard.append(kw), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert routing_delivery.deliver(rows[first.code].pk) == "delivered"
    finally:
        dossier_transitioned.disconnect(dispatch_uid="t")

    moved = (first, second, third)
    delivered = [Handover.objects.get(pk=rows[d.code].pk) for d in moved]
    at = delivered[0].delivered_at
    assert all(h.state == HandoverState.DELIVERED and h.delivered_at == at for h in delivered)
    due = get_calendar().add_working_hours(at, 16)
    for dossier, handover in zip(moved, delivered, strict=True):
        dossier.refresh_from_db()
        assert dossier.current_agency == p.department and dossier.status == Status.RECEIVED
        assert dossier.step_due_at == handover.step_due_at == due
        (event,) = handover_events(dossier)
        assert (event.from_agency, event.to_agency, event.at) == (p.commune, p.department, at)
        assert event.step_due_at == due and event.payload["handover"] == handover.pk
        assert event.note.startswith("Giao: ") and p.department.name in event.note
    # one signal per delivered row, after commit, and the public tracking entries dropped
    assert sorted(k["dossier_id"] for k in heard if k["action"] == "handover") == sorted(
        d.pk for d in moved
    )
    assert set(forgotten) == {d.code for d in moved}

    blocked = Handover.objects.get(pk=rows[stranded.code].pk)
    assert blocked.state == HandoverState.BLOCKED and "ngừng hoạt động" in blocked.last_error
    alert = RoutingAlert.objects.get(dossier=stranded)
    assert alert.kind == RoutingAlertKind.BLOCKED and alert.handover == blocked
    assert Dossier.objects.get(pk=stranded.pk).current_agency == p.commune
    cancelled = Handover.objects.get(pk=rows[closed.code].pk)
    assert cancelled.state == HandoverState.CANCELLED
    assert Dossier.objects.get(pk=closed.pk).current_agency == p.commune
    assert not handover_events(stranded) and not handover_events(closed)

    # Their own messages arrive later: nothing happens twice.
    for code, row in rows.items():
        assert routing_delivery.deliver(row.pk) == "duplicate", code
    assert [len(handover_events(d)) for d in moved] == [1, 1, 1]
    assert RoutingAlert.objects.filter(dossier=stranded).count() == 1


def test_a_batch_stays_on_its_queue_level(settings, django_capture_on_commit_callbacks):
    """With queues per level a task of ``routing.province`` delivers no district hand-over."""
    settings.ROUTING_QUEUES_PER_LEVEL = True
    p = Province()
    with django_capture_on_commit_callbacks(execute=False):
        to_province = p.walk_in()
        p.commune_district_province_path()
        to_district = p.walk_in()
    assert pending(to_district).to_agency == p.district
    assert routing_delivery.deliver(pending(to_province).pk) == "delivered"
    assert pending(to_district).to_agency == p.district  # still pending, for its own queue
    assert Dossier.objects.get(pk=to_district.pk).current_agency == p.commune


def test_batching_off_delivers_one_by_one(settings, django_capture_on_commit_callbacks):
    settings.ROUTING_DELIVERY_BATCH = 1
    p = Province()
    with django_capture_on_commit_callbacks(execute=False):
        first, second = p.walk_in(), p.walk_in()
    assert routing_delivery.deliver(pending(first).pk) == "delivered"
    assert pending(second)  # untouched
    assert Dossier.objects.get(pk=second.pk).current_agency == p.commune


@pytest.mark.parametrize("size", [2, 12])
def test_a_batch_uses_a_constant_number_of_queries(
    size, settings, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    settings.ROUTING_DELIVERY_BATCH = 50
    p = Province()
    p.set_path(
        {"owner": StepOwner.RECEIVING},
        {"owner": StepOwner.IMPLEMENTING, "hours": "16"},
        {"owner": StepOwner.RECEIVING, "returns": True},
    )
    with django_capture_on_commit_callbacks(execute=False):
        dossiers = [p.walk_in() for _ in range(size)]
    first = pending(dossiers[0])
    get_calendar()  # cached, as in a running worker
    # peek, savepoint, lock the batch, claim and move, history rows, release
    with django_assert_max_num_queries(6):
        assert routing_delivery.deliver(first.pk) == "delivered"
    assert (
        Dossier.objects.filter(pk__in=[d.pk for d in dossiers], current_agency=p.department).count()
        == size
    )
    assert DossierEvent.objects.filter(dossier__in=dossiers, action="handover").count() == size


calls: list[list] = []


def _record(items: list) -> None:
    calls.append(list(items))


def test_receivers_coalesce_their_outside_calls_over_a_batch(django_capture_on_commit_callbacks):
    """``events.coalesce``: one call per event outside a batch; once per batch, with every
    event's item in order, when ``announce_many`` sends a batch's signals."""
    from dossiers import events

    def receiver(sender, dossier_id, **kwargs):
        events.coalesce(_record, dossier_id)

    calls.clear()
    events.coalesce(_record, 1)
    assert calls == [[1]]
    p = Province()
    with django_capture_on_commit_callbacks(execute=False):
        dossiers = [p.walk_in() for _ in range(3)]
    calls.clear()
    dossier_transitioned.connect(receiver, weak=False, dispatch_uid="coalesce-test")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            routing_delivery.deliver(pending(dossiers[0]).pk)
    finally:
        dossier_transitioned.disconnect(dispatch_uid="coalesce-test")
    assert calls == [[d.pk for d in dossiers]]


@pytest.mark.parametrize("batch", [1, 10])
def test_a_handovers_signal_carries_the_dossiers_own_facts(
    batch, settings, django_capture_on_commit_callbacks
):
    """Receivers read ``applicant_id``, ``channel``, ``pickup_by_post`` and ``agency_ids`` from
    the signal instead of the dossier: a hand-over must send the dossier's real values."""
    settings.ROUTING_DELIVERY_BATCH = batch
    p = Province()
    with django_capture_on_commit_callbacks(execute=False):
        dossier = p.online()
        transition(dossier.code, "receive", p.desk["commune"])
    dossier.refresh_from_db()
    heard = []
    dossier_transitioned.connect(
        lambda sender, **kw: heard.append(kw), weak=False, dispatch_uid="facts"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert routing_delivery.deliver(pending(dossier).pk) == "delivered"
    finally:
        dossier_transitioned.disconnect(dispatch_uid="facts")
    (kwargs,) = [k for k in heard if k["action"] == "handover"]
    assert kwargs["applicant_id"] == dossier.applicant_id is not None
    assert kwargs["channel"] == dossier.channel
    assert kwargs["pickup_by_post"] == dossier.pickup_by_post
    assert {p.commune.pk, p.department.pk} <= set(kwargs["agency_ids"])
