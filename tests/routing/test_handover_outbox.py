"""The engine in-process (eager Celery): the outbox row is written with the transition, the
delivery happens on commit exactly once, and an invalid target never loses the dossier."""

import datetime

import pytest
from django.db import transaction

from dossiers import routing, routing_delivery, routing_sweeper, tracking
from dossiers.events import dossier_transitioned
from dossiers.models import Dossier, DossierEvent, Status
from dossiers.models_routing import (
    DossierRoute,
    Handover,
    HandoverState,
    RoutingAlert,
    RoutingAlertKind,
)
from dossiers.routing_tasks import sweep_outbox
from dossiers.workflow import transition
from portal.models import UnitLevel
from procedures.models_paths import StepOwner
from tests.factories import UserFactory
from tests.routing.factories import Province

pytestmark = pytest.mark.django_db


def handovers(dossier) -> list[tuple[str, str, str]]:
    return [
        (h.reason, h.to_agency.code, h.state)
        for h in Handover.objects.filter(dossier=dossier).select_related("to_agency")
    ]


def test_intake_writes_the_hand_over_and_delivers_it_on_commit(django_capture_on_commit_callbacks):
    p = Province()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dossier = p.walk_in()
    route = DossierRoute.objects.get(dossier=dossier)
    assert [s["resolved_id"] for s in route.steps] == [p.commune.pk, p.department.pk, p.commune.pk]
    assert route.current_step == 1
    pending = Handover.objects.get(dossier=dossier, state=HandoverState.PENDING)
    assert (pending.from_agency, pending.to_agency) == (p.commune, p.department)
    assert pending.idempotency_key == f"{dossier.pk}-1"
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.commune  # not yet delivered
    for callback in callbacks:
        callback()
    dossier.refresh_from_db()
    assert dossier.current_agency == p.department and dossier.status == Status.RECEIVED
    assert dossier.returning_agency == p.commune
    assert dossier.step_due_at == dossier.due_at  # no budget: until the appointment
    event = DossierEvent.objects.get(dossier=dossier, action="handover")
    assert (event.from_agency, event.to_agency) == (p.commune, p.department)
    assert event.note.startswith("Giao: ") and "Nhận: " in event.note
    assert event.payload["given_at"] and event.payload["received_at"]
    assert handovers(dossier) == [
        ("intake", p.commune.code, "delivered"),
        ("route", p.department.code, "delivered"),
    ]
    intake = Handover.objects.get(dossier=dossier, reason="intake")
    assert intake.finished_at is not None  # the intake step ended with the hand-over


def test_no_hand_over_survives_a_rolled_back_transition(django_capture_on_commit_callbacks):
    p = Province()
    dossier = p.online()
    with pytest.raises(RuntimeError), transaction.atomic():
        transition(dossier.code, "receive", p.desk["commune"])
        assert Handover.objects.filter(dossier=dossier, state="pending").exists()
        raise RuntimeError("boom")
    assert not Handover.objects.filter(dossier=dossier).exists()
    assert not DossierRoute.objects.filter(dossier=dossier).exists()
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "receive", p.desk["commune"])
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.department


def test_a_duplicated_delivery_changes_nothing(django_capture_on_commit_callbacks):
    p = Province()
    with django_capture_on_commit_callbacks(execute=False):
        dossier = p.walk_in()
    pending = Handover.objects.get(dossier=dossier, state="pending")
    assert routing_delivery.deliver(pending.pk) == "delivered"
    first = Handover.objects.get(pk=pending.pk)
    assert routing_delivery.deliver(pending.pk) == "duplicate"
    assert routing_delivery.deliver(999_999_999) == "missing"
    assert Handover.objects.get(pk=pending.pk).delivered_at == first.delivered_at
    assert DossierEvent.objects.filter(dossier=dossier, action="handover").count() == 1


def test_a_commune_procedure_received_at_its_commune_does_not_travel(
    django_capture_on_commit_callbacks,
):
    p = Province(gov_level=UnitLevel.COMMUNE)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = p.walk_in()
        transition(dossier.code, "assign", p.desk["commune"], assignee=p.staff["commune"].username)
    route = DossierRoute.objects.get(dossier=dossier)
    assert len(route.steps) == 1 and route.steps[0]["returns"]
    assert handovers(dossier) == [("intake", p.commune.code, "delivered")]


def test_the_result_travels_back_to_the_returning_desk(django_capture_on_commit_callbacks):
    from tests.dossiers.factories import pdf

    p = Province()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = p.walk_in()
    leader = p.leader["department"]
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "assign", leader, assignee=p.staff["department"].username)
    with django_capture_on_commit_callbacks(execute=True):
        transition(
            dossier.code,
            "complete",
            leader,
            result_summary="Đã cấp",
            result_file=pdf("kq.pdf"),
        )
    dossier.refresh_from_db()
    assert dossier.current_agency == p.commune and dossier.status == Status.RESULT_READY
    back = Handover.objects.get(dossier=dossier, reason="return")
    assert back.state == "delivered" and back.step_hours == 8
    assert dossier.step_due_at == back.step_due_at > back.delivered_at
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "return", p.desk["commune"], method="desk")
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RETURNED


def test_an_agency_deactivated_before_delivery_leaves_the_dossier_with_an_alert(
    django_capture_on_commit_callbacks,
):
    p = Province()
    p.set_path(
        {"owner": StepOwner.RECEIVING},
        {"owner": StepOwner.AGENCY, "agency": p.other_department, "name": "Thẩm định"},
        {"owner": StepOwner.RECEIVING, "returns": True},
    )
    with django_capture_on_commit_callbacks(execute=False):
        dossier = p.walk_in()
    p.other_department.is_active = False
    p.other_department.save()
    handover = Handover.objects.get(dossier=dossier, state="pending")
    assert routing_delivery.deliver(handover.pk) == "blocked"
    dossier.refresh_from_db()
    assert dossier.current_agency == p.commune and dossier.status == Status.RECEIVED
    alert = RoutingAlert.objects.get(dossier=dossier)
    assert alert.kind == RoutingAlertKind.BLOCKED and "ngừng hoạt động" in alert.message
    admin = UserFactory(is_superuser=True)
    with pytest.raises(routing.RoutingError) as exc:
        routing.retry_alert(alert.pk, admin)
    assert "ngừng hoạt động" in exc.value.message
    assert RoutingAlert.objects.get(pk=alert.pk).resolved_at is None
    p.other_department.is_active = True
    p.other_department.save()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = routing.retry_alert(alert.pk, admin)
    assert p.other_department.name in outcome
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.other_department
    alert.refresh_from_db()
    assert alert.resolved_at is not None and alert.resolved_by == admin
    assert handovers(dossier)[-2:] == [
        ("route", p.other_department.code, "blocked"),
        ("route", p.other_department.code, "delivered"),
    ]


def test_an_unresolvable_step_keeps_the_intake_and_raises_an_alert(
    django_capture_on_commit_callbacks,
):
    p = Province("2025")
    p.set_path(
        {"owner": StepOwner.RECEIVING},
        {"owner": StepOwner.LEVEL, "level": "district", "kind": "peoples_committee"},
        {"owner": StepOwner.RECEIVING, "returns": True},
    )
    with django_capture_on_commit_callbacks(execute=True):
        dossier = p.walk_in()
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED and dossier.current_agency == p.commune
    alert = RoutingAlert.objects.get(dossier=dossier)
    assert alert.kind == RoutingAlertKind.UNRESOLVED and "không xác định được" in alert.message
    assert handovers(dossier) == [("intake", p.commune.code, "delivered")]
    # The administrator fixes the path, then retries: the dossier moves on.
    p.set_path(
        {"owner": StepOwner.RECEIVING},
        {"owner": StepOwner.IMPLEMENTING},
        {"owner": StepOwner.RECEIVING, "returns": True},
    )
    with django_capture_on_commit_callbacks(execute=True):
        routing.retry_alert(alert.pk, UserFactory(is_superuser=True))
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.department


def test_a_dossier_closed_before_delivery_cancels_the_hand_over(
    django_capture_on_commit_callbacks,
):
    p = Province()
    dossier = p.online()
    with django_capture_on_commit_callbacks(execute=False):
        transition(dossier.code, "receive", p.desk["commune"])
        transition(dossier.code, "withdraw", p.citizen, reason="Không cần nữa")
    handover = Handover.objects.get(dossier=dossier, reason="route")
    assert routing_delivery.deliver(handover.pk) == "cancelled"
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.commune


def test_the_sweeper_resends_then_gives_up_with_an_alert(
    settings, django_capture_on_commit_callbacks
):
    settings.ROUTING_MAX_SENDS = 2
    p = Province()
    with django_capture_on_commit_callbacks(execute=False):  # the broker "lost" the message
        dossier = p.walk_in()
    handover = Handover.objects.get(dossier=dossier, state="pending")
    assert routing_sweeper.sweep_outbox() == {"resent": 0, "failed": 0}  # younger than N minutes
    for expected_sends in (1, 2):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert routing_sweeper.sweep_outbox(older_than=datetime.timedelta(0)) == {
                "resent": 1,
                "failed": 0,
            }
        assert len(callbacks) == 1
        assert Handover.objects.get(pk=handover.pk).sends == expected_sends
    result = sweep_outbox.apply(kwargs={"older_than_minutes": 0}).get()
    assert result == {"resent": 0, "failed": 1}
    handover.refresh_from_db()
    assert handover.state == HandoverState.FAILED
    alert = RoutingAlert.objects.get(dossier=dossier, kind=RoutingAlertKind.DELIVERY_FAILED)
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.commune
    with django_capture_on_commit_callbacks(execute=True):
        routing.retry_alert(alert.pk, UserFactory(is_superuser=True))
    handover.refresh_from_db()
    assert handover.state == HandoverState.DELIVERED
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.department


@pytest.mark.parametrize("size", [2, 12])
def test_the_sweeper_uses_a_constant_number_of_queries(
    size, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    p = Province()
    with django_capture_on_commit_callbacks(execute=False):
        for _ in range(size):
            p.walk_in()
    with django_assert_max_num_queries(6):
        assert routing_sweeper.sweep_outbox(older_than=datetime.timedelta(0))["resent"] == size


def test_a_delivery_announces_every_agency_and_the_code(
    django_capture_on_commit_callbacks, monkeypatch
):
    """Receivers (the desk queue counts, public tracking) learn who is involved from the
    signal itself: the hand-over path makes no query for them."""
    heard, forgotten = [], []

    def listener(sender, **kwargs):
        heard.append(kwargs)

    p = Province()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dossier = p.walk_in()
    monkeypatch.setattr(tracking, "forget", forgotten.append)
    monkeypatch.setattr(tracking, "forget_many", forgotten.extend)  # a batched delivery
    dossier_transitioned.connect(listener, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for callback in callbacks:
                callback()
    finally:
        dossier_transitioned.disconnect(listener)
    handover = next(k for k in heard if k["action"] == "handover")
    assert handover["agency_ids"] == sorted({p.commune.pk, p.department.pk})
    assert dossier.code in forgotten  # the public steps changed: tracking's cache is dropped
