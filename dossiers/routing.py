"""The routing engine (liên thông): a dossier received at one desk reaches the agency that
decides it and the result comes back, automatically, reliably and on record.

How a hand-over travels (architecture.md rule 5, docs/routing.md):

1. A step finishes inside the transition service's transaction — ``receive`` (intake is done),
   ``forward`` (the holding agency sends it on) or ``complete`` (the result goes to the step
   that returns it). ``advance`` then writes a ``Handover`` row (the **outbox**) with a unique
   idempotency key, in the same transaction, and schedules ``enqueue`` on commit.
2. ``enqueue`` publishes ``deliver_handover(handover_id)`` on the routing queue. If the broker
   is down the row simply stays ``pending``: ``sweep_outbox`` (Celery beat) re-sends rows not
   delivered after ``ROUTING_SWEEP_AFTER_MINUTES`` and, after ``ROUTING_MAX_SENDS`` re-sends,
   marks them failed with a ``RoutingAlert`` for an administrator.
3. ``routing_delivery.deliver`` locks the dossier, then flips the row ``pending → delivered``
   with a conditional UPDATE: a duplicated or redelivered message finds it delivered and
   changes nothing. The receiving agency becomes the holder, the step's deadline is set in
   working time (``portal.worktime``) and the history records the hand-over with both times
   (giao/nhận).
4. A target that became invalid (agency inactive, path unresolvable, outside the province)
   never loses the dossier: it stays with its holder and a ``RoutingAlert`` says why.

Receive and complete reach ``on_step_finished`` through a ``post_save`` receiver on the
history row (``dossiers/models_routing.py``), so the transition service needs no routing code
beyond its ``forward`` entry.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.errors import DossierError, InvalidState, ValidationError
from dossiers.inputs import Cleaner
from dossiers.models import Dossier
from dossiers.models_routing import (
    DossierRoute,
    Handover,
    HandoverReason,
    HandoverState,
    RoutingAlert,
    RoutingAlertKind,
)
from portal.models import AdministrativeUnit, Agency, UnitLevel
from portal.permissions import Grants
from portal.worktime import get_calendar
from procedures.models_paths import PathError, StepSpec, province_of, resolve_step, steps_for
from procedures.search import fold

logger = logging.getLogger(__name__)

HANDOVER_ACTION = "handover"


class RoutingError(DossierError):
    """An administrator's retry could not route the dossier (the reason is the message)."""

    status_code = 409


# --- settings -------------------------------------------------------------------------------


def sweep_after() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(getattr(settings, "ROUTING_SWEEP_AFTER_MINUTES", 5)))


def max_sends() -> int:
    return int(getattr(settings, "ROUTING_MAX_SENDS", 5))


def queue_for(agency: Agency) -> str:
    """``routing``, or ``routing.<level of the receiving agency>`` when a province runs workers
    per level (``ROUTING_QUEUES_PER_LEVEL``)."""
    if getattr(settings, "ROUTING_QUEUES_PER_LEVEL", False):
        return f"routing.{agency.unit.level}"
    return "routing"


# --- publishing -----------------------------------------------------------------------------


def enqueue(handover_id: int, queue: str) -> bool:
    """Publish the delivery task; never raises (the outbox row is the source of truth)."""
    from dossiers.routing_tasks import deliver_handover

    try:
        deliver_handover.apply_async((handover_id,), queue=queue)
    except Exception as exc:  # broker down: the sweeper re-sends the row
        logger.warning(
            "routing: could not enqueue handover %s (%r); sweeper will", handover_id, exc
        )
        return False
    return True


# --- routes ---------------------------------------------------------------------------------


def _resolve_entry(spec: StepSpec, dossier: Dossier) -> dict:
    entry = {**spec.as_dict(), "resolved_id": None, "error": ""}
    try:
        entry["resolved_id"] = resolve_step(
            spec, dossier.procedure_version, dossier.receiving_agency
        ).pk
    except PathError as exc:
        entry["error"] = str(exc)
    return entry


def _merge(entries: list[dict]) -> list[dict]:
    """Consecutive steps resolved to the same agency are one step (the default path of a
    commune procedure received at its own commune is a single step)."""
    merged: list[dict] = []
    for entry in entries:
        last = merged[-1] if merged else None
        if last and entry["resolved_id"] and entry["resolved_id"] == last["resolved_id"]:
            names = [n for n in (last["name"], entry["name"]) if n]
            last["name"] = " / ".join(dict.fromkeys(names))
            last["returns"] = last["returns"] or entry["returns"]
            last["hours"] = None
            continue
        merged.append(dict(entry))
    return merged


def _snapshot(dossier: Dossier):
    path, specs = steps_for(dossier.procedure_version)
    return path, _merge([_resolve_entry(spec, dossier) for spec in specs])


def build_route(dossier: Dossier) -> DossierRoute:
    """Snapshot the dossier's path (resolved for its receiving desk) at intake."""
    path, steps = _snapshot(dossier)
    current = next(
        (i for i, s in enumerate(steps) if s["resolved_id"] == dossier.current_agency_id), 0
    )
    return DossierRoute.objects.create(
        dossier=dossier, path=path, steps=steps, current_step=current
    )


def ensure_route(dossier: Dossier) -> DossierRoute:
    route = DossierRoute.objects.filter(dossier=dossier).first()
    return route or build_route(dossier)


def refresh_route(route: DossierRoute, dossier: Dossier) -> DossierRoute:
    """Re-read the path (an administrator fixed it) keeping the position in the route."""
    route.path, route.steps = _snapshot(dossier)
    route.current_step = min(route.current_step, len(route.steps) - 1)
    route.save(update_fields=["path", "steps", "current_step"])
    return route


def route_agency(route: DossierRoute, index: int, dossier: Dossier) -> Agency:
    """The active agency of step ``index``: the one resolved at intake, re-resolved when it is
    gone or inactive; ``PathError`` when the step has no valid agency any more."""
    entry = route.steps[index]
    agency = None
    if entry.get("resolved_id"):
        agency = Agency.objects.select_related("unit").filter(pk=entry["resolved_id"]).first()
    if agency is not None and agency.is_active:
        return agency
    spec = StepSpec.from_dict(entry)
    agency = resolve_step(spec, dossier.procedure_version, dossier.receiving_agency)
    route.steps[index] = {**entry, "resolved_id": agency.pk, "error": ""}
    route.save(update_fields=["steps"])
    return agency


def _step_due(hours: Decimal | None, start: datetime.datetime, dossier: Dossier):
    if hours is None:
        return dossier.due_at
    return get_calendar().add_working_hours(start, hours)


def _budget(entry: Mapping) -> Decimal | None:
    hours = entry.get("hours")
    return Decimal(str(hours)) if hours not in (None, "") else None


# --- planning (inside the transition's transaction, the dossier row locked) ------------------


def advance(
    dossier: Dossier,
    route: DossierRoute,
    index: int,
    reason: str,
    *,
    actor=None,
    now: datetime.datetime,
    note: str = "",
    target: Agency | None = None,
) -> Handover:
    """Finish the current step and hand the dossier to step ``index`` (or to ``target``).

    Writes the outbox row and schedules its delivery on commit; when the step belongs to the
    agency that already holds the dossier, the step starts at once and nothing travels.
    Raises ``PathError`` when the step has no valid agency.
    """
    agency = target or route_agency(route, index, dossier)
    entry = route.steps[index]
    open_rows = Handover.objects.filter(dossier=dossier)
    open_rows.filter(state=HandoverState.PENDING).update(
        state=HandoverState.CANCELLED, last_error=_("Thay thế bởi lần chuyển sau.")
    )
    open_rows.filter(state=HandoverState.DELIVERED, finished_at__isnull=True).update(
        finished_at=now
    )
    route.sequence += 1
    route.current_step = index
    route.save(update_fields=["sequence", "current_step", "steps"])
    hours = _budget(entry) if target is None or target.pk == entry.get("resolved_id") else None
    handover = Handover(
        dossier=dossier,
        step_index=index,
        step_name=entry.get("name", "")[:200],
        reason=reason,
        from_agency_id=dossier.current_agency_id,
        to_agency=agency,
        idempotency_key=f"{dossier.pk}-{route.sequence}",
        note=note,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        step_hours=hours,
    )
    if agency.pk == dossier.current_agency_id:
        handover.state = HandoverState.DELIVERED
        handover.delivered_at = now
        handover.step_due_at = _step_due(hours, now, dossier)
        handover.save()
        dossier.step_due_at = handover.step_due_at
        Dossier.objects.filter(pk=dossier.pk).update(step_due_at=handover.step_due_at)
        return handover
    handover.save()
    transaction.on_commit(partial(enqueue, handover.pk, queue_for(agency)))
    return handover


def _intake_record(dossier: Dossier, route: DossierRoute, event) -> None:
    entry = route.steps[route.current_step] if route.steps else {}
    Handover.objects.create(
        dossier=dossier,
        step_index=route.current_step,
        step_name=entry.get("name", "")[:200],
        reason=HandoverReason.INTAKE,
        to_agency_id=dossier.current_agency_id,
        idempotency_key=f"{dossier.pk}-0",
        state=HandoverState.DELIVERED,
        created_by=event.actor,
        created_at=event.at,
        delivered_at=event.at,
        step_hours=_budget(entry),
        step_due_at=_step_due(_budget(entry), event.at, dossier),
    )


def _set_returning_agency(dossier: Dossier, route: DossierRoute) -> None:
    returning_id = route.steps[-1].get("resolved_id") if route.steps else None
    if returning_id and returning_id != dossier.returning_agency_id:
        dossier.returning_agency_id = returning_id
        Dossier.objects.filter(pk=dossier.pk).update(returning_agency_id=returning_id)


def raise_alert(
    dossier: Dossier,
    kind: str,
    message: str,
    *,
    reason: str,
    step_index: int,
    handover: Handover | None = None,
) -> RoutingAlert:
    """Record why the dossier could not move (one open alert per dossier)."""
    logger.warning("routing alert for dossier %s: %s", dossier.pk, message)
    alert = RoutingAlert.objects.filter(dossier=dossier, resolved_at__isnull=True).first()
    if alert is not None:
        return alert
    return RoutingAlert.objects.create(
        dossier=dossier,
        handover=handover,
        kind=kind,
        reason=reason,
        step_index=step_index,
        message=message,
    )


def on_step_finished(event) -> None:
    """Receive finished the intake step, complete finished processing: hand over. Never
    raises into the transition: a failure becomes an alert and the dossier stays put."""
    dossier = event.dossier
    if dossier.is_final:
        return
    reason = HandoverReason.ROUTE if event.action == "receive" else HandoverReason.RETURN
    index = 0
    try:
        with transaction.atomic():
            if event.action == "receive":
                route = DossierRoute.objects.filter(dossier=dossier).first() or build_route(dossier)
                _intake_record(dossier, route, event)
                _set_returning_agency(dossier, route)
                index = route.current_step + 1
                if index >= len(route.steps):
                    return
            else:
                route = ensure_route(dossier)
                index = len(route.steps) - 1
                if dossier.current_agency_id == route.steps[index].get("resolved_id"):
                    return  # the agency that returns the result already holds it
            try:
                with transaction.atomic():
                    advance(dossier, route, index, reason, actor=event.actor, now=event.at)
            except PathError as exc:
                raise_alert(
                    dossier, RoutingAlertKind.UNRESOLVED, str(exc), reason=reason, step_index=index
                )
    except Exception as exc:  # a bug must not undo the citizen's intake; record it loudly
        logger.exception("routing failed for dossier %s", dossier.pk)
        _alert_safely(dossier, RoutingAlertKind.UNRESOLVED, repr(exc)[:1000], reason, index)


def _alert_safely(dossier, kind, message, reason, index) -> None:
    try:
        with transaction.atomic():
            raise_alert(dossier, kind, message, reason=reason, step_index=index)
    except Exception:  # the log is all that is left
        logger.exception("routing: could not record the alert for dossier %s", dossier.pk)


# --- the forward action (registered in dossiers/workflow.py) --------------------------------

#: Tiers of units below the province searched for forward targets (province → district →
#: commune is two; room is left for one more).
TARGET_DEPTH = 3
LEVEL_ORDER = {UnitLevel.PROVINCE: 0, UnitLevel.DISTRICT: 1, UnitLevel.COMMUNE: 2}


def _province_of_unit(unit_id: int) -> Subquery:
    """The root of ``unit_id``'s tree as a subquery (up to ``TARGET_DEPTH`` + 1 tiers)."""
    whens, path = [], ""
    for _depth in range(TARGET_DEPTH + 1):
        whens.append(When(**{f"{path}parent__isnull": True}, then=F(f"{path}id")))
        path += "parent__"
    root = Case(*whens, default=F(f"{path}id"))
    return Subquery(AdministrativeUnit.objects.filter(pk=unit_id).values(root=root)[:1])


def forward_targets(dossier: Dossier) -> list[Agency]:
    """The agencies the holder may forward ``dossier`` to, as ``clean_forward`` accepts them:
    active, in the province of the receiving agency, not the holder itself; by level
    (province, district, commune), then name. One query, however many agencies there are."""
    province = _province_of_unit(dossier.receiving_agency.unit_id)
    within, path = Q(unit_id=province), "unit"
    for _depth in range(TARGET_DEPTH):
        path += "__parent"
        within |= Q(**{f"{path}_id": province})
    agencies = list(
        Agency.objects.filter(within, is_active=True)
        .exclude(pk=dossier.current_agency_id)
        .select_related("unit")
    )
    agencies.sort(key=lambda a: (LEVEL_ORDER.get(a.unit.level, 9), fold(a.name), a.code))
    return agencies


def clean_forward(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    """``agency`` (code; empty: the next step of the dossier's path) and ``note``."""
    cleaner = Cleaner(payload)
    code = cleaner.text("agency", max_length=30)
    note = cleaner.text("note")
    cleaner.raise_if_errors()
    pending = (
        Handover.objects.filter(dossier=dossier, state=HandoverState.PENDING)
        .select_related("to_agency")
        .first()
    )
    if pending is not None:
        raise InvalidState(
            _("Hồ sơ đang được chuyển đến %(agency)s, chưa thể chuyển tiếp.")
            % {"agency": pending.to_agency.name}
        )
    route = ensure_route(dossier)
    if code:
        agency = Agency.objects.select_related("unit").filter(code=code).first()
        if agency is None or not agency.is_active:
            raise ValidationError(
                {"agency": [_("Cơ quan nhận không tồn tại hoặc đã ngừng hoạt động.")]}
            )
        if province_of(agency).pk != province_of(dossier.receiving_agency).pk:
            raise ValidationError(
                {
                    "agency": [
                        _(
                            "Không thể chuyển hồ sơ đến %(agency)s: cơ quan này không thuộc tỉnh "
                            "nơi tiếp nhận hồ sơ."
                        )
                        % {"agency": agency.name}
                    ]
                }
            )
        index = next(
            (
                i
                for i in range(route.current_step + 1, len(route.steps))
                if route.steps[i].get("resolved_id") == agency.pk
            ),
            route.current_step,
        )
    else:
        index = route.current_step + 1
        if index >= len(route.steps):
            raise ValidationError(
                {"agency": [_("Hồ sơ đã ở bước cuối của quy trình; hãy chọn cơ quan nhận.")]}
            )
        try:
            agency = route_agency(route, index, dossier)
        except PathError as exc:
            raise ValidationError({"agency": [str(exc)]}) from exc
    if agency.pk == dossier.current_agency_id:
        raise ValidationError({"agency": [_("Hồ sơ đang ở chính cơ quan này.")]})
    return {"agency": agency, "step_index": index, "note": note, "route": route}


def apply_forward(ctx) -> None:
    data = ctx.data
    handover = advance(
        ctx.dossier,
        data["route"],
        data["step_index"],
        HandoverReason.FORWARD,
        actor=ctx.actor,
        now=ctx.now,
        note=data["note"],
        target=data["agency"],
    )
    ctx.note = data["note"]
    ctx.event_payload.update(
        to_agency=data["agency"].code,
        to_agency_name=data["agency"].name,
        step=data["step_index"] + 1,
        handover=handover.pk,
    )


# --- the administrator's retry ------------------------------------------------------------


def retry_alert(alert_id: int, actor) -> str:
    """An administrator retries a stuck dossier: re-send the same hand-over when its target is
    valid again, otherwise re-read the path and route again. ``RoutingError`` when it still
    cannot move (the alert stays open)."""
    now = timezone.now()
    with transaction.atomic():
        alert = RoutingAlert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None or alert.resolved_at is not None:
            return _("Cảnh báo đã được xử lý.")
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure_version__implementing_agency", "receiving_agency__unit")
            .get(pk=alert.dossier_id)
        )
        handover = alert.handover
        if dossier.is_final:
            outcome = _("Hồ sơ đã kết thúc; không cần chuyển.")
        elif Handover.objects.filter(dossier=dossier, state=HandoverState.PENDING).exists():
            outcome = _("Hồ sơ đang được chuyển.")
        elif (
            handover is not None
            and handover.state == HandoverState.FAILED
            and handover.to_agency.is_active
        ):
            handover.state, handover.sends, handover.last_sent_at = HandoverState.PENDING, 0, now
            handover.save(update_fields=["state", "sends", "last_sent_at"])
            transaction.on_commit(partial(enqueue, handover.pk, queue_for(handover.to_agency)))
            outcome = _("Đã gửi lại hồ sơ đến %(agency)s.") % {"agency": handover.to_agency.name}
        else:
            route = refresh_route(ensure_route(dossier), dossier)
            target = None
            if handover is not None and handover.reason == HandoverReason.FORWARD:
                target = handover.to_agency if handover.to_agency.is_active else None
            index = min(alert.step_index, len(route.steps) - 1)
            try:
                created = advance(
                    dossier, route, index, alert.reason, actor=actor, now=now, target=target
                )
            except PathError as exc:
                raise RoutingError(str(exc)) from exc
            outcome = _("Đã chuyển lại hồ sơ đến %(agency)s.") % {"agency": created.to_agency.name}
        alert.resolved_at, alert.resolution = now, outcome
        alert.resolved_by = actor if getattr(actor, "pk", None) else None
        alert.save(update_fields=["resolved_at", "resolution", "resolved_by"])
    return outcome
