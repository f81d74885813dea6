"""THE transition service of the dossier lifecycle (architecture.md rule 1).

``transition(dossier, action, actor, **payload)`` is the only way a dossier changes status or
holder. For every action it: finds the dossier among those the actor may see (else NotFound),
checks the actor may take the action (NotAllowed), that the status allows it (InvalidState),
cleans the payload (ValidationError with Vietnamese field errors), locks the row
(``select_for_update``), applies the change and its derived fields, appends the history row and
schedules side effects on commit (notifications, ``dossier_transitioned``). Any error leaves
everything as it was, files included.

Actions are data (``Action`` rows in ``ACTIONS``); the Routing issue adds ``forward`` with
``register``: its ``apply`` sets ``dossier.current_agency`` and the history row records the
hand-over (from/to agency) by itself.

Who may act (interfaces.md), superusers included everywhere:
receive/refuse: desk of the receiving agency; assign: desk or leader of the holding agency;
request-supplement, request-payment, confirm-payment: staff of the holding agency (the
receiving desk may also confirm a payment made at its counter); suspend, resume, apologize,
complete: leader of the holding agency; submit-for-approval: specialist of the holding agency;
sign: leader of the deciding agency, then a clerk of the deciding or returning agency
(``result_signing.py``); return: desk of the returning agency (after the leader's signature
when the procedure requires it); supplement and withdraw: the owner, or the receiving desk
acting for a citizen at the counter.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers import deadlines, routing
from dossiers.attachments import (
    AttachmentWriter,
    check_documents,
    check_file,
    check_total,
    checked_pdf,
    single_upload,
    store_all,
)
from dossiers.errors import InvalidState, NotAllowed, NotFound, ValidationError
from dossiers.events import record_event
from dossiers.inputs import Cleaner
from dossiers.models import (
    OPEN_STATUSES,
    Attachment,
    AttachmentKind,
    Dossier,
    EventAction,
    ResultDelivery,
    Status,
)
from portal.models import Role, StaffMembership, User
from portal.permissions import Grants, grants_for

STAFF_ROLES = (Role.DESK, Role.SPECIALIST, Role.LEADER, Role.CLERK)


@dataclass
class Context:
    """What an action's ``apply`` works with; it mutates ``dossier`` and may set the rest."""

    dossier: Dossier
    actor: User
    grants: Grants
    now: datetime.datetime
    data: dict
    writer: AttachmentWriter
    note: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    event_payload: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    name: str
    from_statuses: frozenset[int]
    #: None keeps the status (apologize).
    to_status: int | None
    permitted: Callable[[Grants, Dossier], bool]
    clean: Callable[[Mapping, Dossier, Grants], dict]
    apply: Callable[[Context], None]
    public: bool = True
    #: Narrows what ``allowed_actions`` offers (e.g. ``sign`` once the signer has signed);
    #: ``transition`` still explains a refusal with its own 409.
    offered: Callable[[Grants, Dossier], bool] | None = None


ACTIONS: dict[str, Action] = {}


def register(action: Action) -> Action:
    ACTIONS[action.name] = action
    return action


# --- who ------------------------------------------------------------------------------------


def receiving_desk(grants: Grants, dossier: Dossier) -> bool:
    return grants.is_superuser or grants.has_role(dossier.receiving_agency_id, Role.DESK)


def returning_desk(grants: Grants, dossier: Dossier) -> bool:
    return grants.is_superuser or grants.has_role(dossier.returning_agency_id, Role.DESK)


def holding_staff(grants: Grants, dossier: Dossier) -> bool:
    return grants.is_superuser or grants.has_role(dossier.current_agency_id, *STAFF_ROLES)


def holding_leader(grants: Grants, dossier: Dossier) -> bool:
    return grants.is_superuser or grants.has_role(dossier.current_agency_id, Role.LEADER)


def holding_desk_or_leader(grants: Grants, dossier: Dossier) -> bool:
    return grants.is_superuser or grants.has_role(dossier.current_agency_id, Role.DESK, Role.LEADER)


def owner_or_receiving_desk(grants: Grants, dossier: Dossier) -> bool:
    is_owner = dossier.applicant_id is not None and dossier.applicant_id == grants.user_id
    return is_owner or receiving_desk(grants, dossier)


def holding_staff_or_receiving_desk(grants: Grants, dossier: Dossier) -> bool:
    return holding_staff(grants, dossier) or receiving_desk(grants, dossier)


# --- payloads -------------------------------------------------------------------------------


def _note_only(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    data = {"note": cleaner.text("note")}
    cleaner.raise_if_errors()
    return data


def _reason_required(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    data = {"reason": cleaner.text("reason", required=True), "note": cleaner.text("note")}
    cleaner.raise_if_errors()
    return data


def _reason_optional(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    data = {"reason": cleaner.text("reason"), "note": cleaner.text("note")}
    cleaner.raise_if_errors()
    return data


def _clean_assign(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    username = cleaner.text("assignee", required=True, max_length=150)
    note = cleaner.text("note")
    cleaner.raise_if_errors()
    membership = (
        StaffMembership.objects.select_related("user")
        .filter(
            user__username=username,
            user__is_active=True,
            agency_id=dossier.current_agency_id,
            role__in=[Role.SPECIALIST, Role.LEADER, Role.DESK, Role.CLERK],
            is_active=True,
        )
        .first()
    )
    if membership is None:
        raise ValidationError(
            {"assignee": [_("Người được phân công không thuộc cơ quan đang xử lý hồ sơ.")]}
        )
    return {"assignee": membership.user, "note": note}


def _clean_request_supplement(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    data = {
        "reason": cleaner.text("reason", required=True),
        "documents": cleaner.text_list("documents", required=True),
        "note": cleaner.text("note"),
    }
    cleaner.raise_if_errors()
    return data


def _clean_supplement(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    note = cleaner.text("note")
    cleaner.raise_if_errors()
    files = payload.get("files") or {}
    checked = check_documents(dossier.procedure_version, files, require=False)
    if not checked:
        raise ValidationError({"files": [_("Cần tải lên ít nhất một giấy tờ bổ sung.")]})
    check_total(checked, dossier)
    return {"note": note, "checked": checked}


def _clean_request_payment(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    data = {
        "amount": cleaner.integer("amount", required=True, minimum=1),
        "reason": cleaner.text("reason", required=True),
        "note": cleaner.text("note"),
    }
    cleaner.raise_if_errors()
    return data


def _clean_confirm_payment(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    data = {
        "receipt_number": cleaner.text("receipt_number", max_length=100),
        "note": cleaner.text("note"),
    }
    cleaner.raise_if_errors()
    return data


def apology_window_hours() -> Decimal:
    return Decimal(str(getattr(settings, "DOSSIER_APOLOGY_WINDOW_WORKING_HOURS", 8)))


def _clean_apologize(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    now = timezone.now()
    if dossier.due_at is None or not deadlines.is_due_soon(dossier, now, apology_window_hours()):
        raise InvalidState(_("Hồ sơ chưa trễ hạn hoặc sắp trễ hạn nên chưa cần xin lỗi."))
    cleaner = Cleaner(payload)
    reason = cleaner.text("reason", required=True)
    new_date = cleaner.date("new_due_date", required=True)
    note = cleaner.text("note")
    new_due = None
    if new_date is not None:
        current = timezone.localdate(dossier.due_at)
        if new_date <= max(current, timezone.localdate(now)):
            cleaner.add("new_due_date", _("Ngày hẹn mới phải sau ngày hẹn hiện tại và hôm nay."))
        else:
            new_due = deadlines.end_of_working_day(new_date)
            if new_due is None:
                cleaner.add("new_due_date", _("Ngày hẹn mới phải là ngày làm việc."))
    cleaner.raise_if_errors()
    return {"reason": reason, "new_due_at": new_due, "note": note}


def _clean_complete(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    summary = cleaner.text("result_summary", required=True, max_length=4000)
    note = cleaner.text("note")
    cleaner.raise_if_errors()
    upload = single_upload(payload, "result_file")
    if upload is None and not payload.get("generate"):
        raise ValidationError({"result_file": [_("Cần tải lên tệp kết quả (PDF).")]})
    checked = None
    if upload is not None:
        checked = check_file(
            upload, field="result_file", accepted=["application/pdf"], document_code=""
        )
        check_total([checked], dossier)
    elif not RESULT_GENERATORS:
        raise ValidationError(
            {"result_file": [_("Chưa có mẫu kết quả để tạo tự động; hãy tải lên tệp PDF.")]}
        )
    return {"result_summary": summary, "checked": checked, "note": note}


def _clean_return(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    method = cleaner.text("method", required=True, max_length=10)
    note = cleaner.text("note")
    if method and method not in ResultDelivery.values:
        cleaner.add("method", _("Chọn “desk” (tại bộ phận một cửa) hoặc “post”."))
    if (
        method == ResultDelivery.POST
        and dossier.result_delivery != ResultDelivery.POST
        and not dossier.procedure_version.postal_eligible
    ):
        cleaner.add("method", _("Thủ tục này không trả kết quả qua bưu chính."))
    cleaner.raise_if_errors()
    result_signing.require_signed_result(dossier)
    return {"method": method, "note": note}


# --- effects --------------------------------------------------------------------------------


def _receive(ctx: Context) -> None:
    deadlines.start_clock(ctx.dossier, ctx.now)
    ctx.note = ctx.data["note"]


def _close(ctx: Context) -> None:
    ctx.dossier.closed_at = ctx.now
    ctx.note = ctx.data.get("reason") or ctx.data.get("note", "")
    ctx.event_payload["reason"] = ctx.data.get("reason", "")


def _assign(ctx: Context) -> None:
    ctx.dossier.assignee = ctx.data["assignee"]
    ctx.note = ctx.data["note"]
    ctx.event_payload["assignee"] = ctx.data["assignee"].username


def _request_supplement(ctx: Context) -> None:
    deadlines.pause(ctx.dossier, ctx.now)
    ctx.note = ctx.data["reason"]
    ctx.event_payload.update(reason=ctx.data["reason"], documents=ctx.data["documents"])


def _supplement(ctx: Context) -> None:
    ctx.attachments = store_all(
        ctx.writer, ctx.dossier, ctx.data["checked"], kind=AttachmentKind.SUPPLEMENT, user=ctx.actor
    )
    hours = deadlines.resume(ctx.dossier, ctx.now)
    ctx.note = ctx.data["note"]
    ctx.event_payload["paused_hours"] = str(hours)


def _request_payment(ctx: Context) -> None:
    ctx.dossier.payment_due_vnd = ctx.data["amount"]
    deadlines.pause(ctx.dossier, ctx.now)
    ctx.note = ctx.data["reason"]
    ctx.event_payload.update(amount=ctx.data["amount"], reason=ctx.data["reason"])


def _pause(ctx: Context) -> None:
    deadlines.pause(ctx.dossier, ctx.now)
    ctx.note = ctx.data["reason"]
    ctx.event_payload["reason"] = ctx.data["reason"]


def _resume(ctx: Context) -> None:
    hours = deadlines.resume(ctx.dossier, ctx.now)
    ctx.note = ctx.data.get("reason") or ctx.data.get("note", "")
    ctx.event_payload["paused_hours"] = str(hours)
    if ctx.data.get("receipt_number"):
        ctx.event_payload["receipt_number"] = ctx.data["receipt_number"]


def _apologize(ctx: Context) -> None:
    previous = ctx.dossier.due_at
    ctx.dossier.due_at = ctx.data["new_due_at"]
    ctx.note = ctx.data["reason"]
    ctx.event_payload.update(
        reason=ctx.data["reason"],
        previous_due_at=previous.isoformat() if previous else None,
        new_due_at=ctx.data["new_due_at"].isoformat(),
    )


#: Callables ``f(dossier, actor, data) -> (pdf_bytes, file_name)`` that generate a result from
#: the procedure's template (the Documents issue registers one).
RESULT_GENERATORS: list[Callable] = []


def _complete(ctx: Context) -> None:
    checked = ctx.data["checked"]
    if checked is None:
        content, name = RESULT_GENERATORS[0](ctx.dossier, ctx.actor, ctx.data)
        checked = checked_pdf(content, name, field="result_file")
    ctx.attachments = store_all(
        ctx.writer, ctx.dossier, [checked], kind=AttachmentKind.RESULT, user=ctx.actor
    )
    ctx.dossier.completed_at = ctx.now
    ctx.dossier.deciding_agency_id = ctx.dossier.current_agency_id
    ctx.dossier.approval_requested_at = None
    ctx.dossier.result_summary = ctx.data["result_summary"]
    ctx.note = ctx.data["result_summary"]


def _return(ctx: Context) -> None:
    ctx.dossier.returned_at = ctx.now
    ctx.dossier.closed_at = ctx.now
    ctx.dossier.return_method = ctx.data["method"]
    ctx.note = ctx.data["note"]
    ctx.event_payload["method"] = ctx.data["method"]


def _withdraw(ctx: Context) -> None:
    _close(ctx)


S = Status
register(Action(EventAction.RECEIVE, frozenset({S.SUBMITTED}), S.RECEIVED, receiving_desk,
                _note_only, _receive))  # fmt: skip
register(Action(EventAction.REFUSE, frozenset({S.SUBMITTED}), S.REFUSED, receiving_desk,
                _reason_required, _close))  # fmt: skip
register(Action(EventAction.ASSIGN, frozenset({S.RECEIVED, S.PROCESSING}), S.PROCESSING,
                holding_desk_or_leader, _clean_assign, _assign))  # fmt: skip
register(Action(EventAction.REQUEST_SUPPLEMENT, frozenset({S.RECEIVED, S.PROCESSING}),
                S.SUPPLEMENT_REQUESTED, holding_staff, _clean_request_supplement,
                _request_supplement))  # fmt: skip
register(Action(EventAction.SUPPLEMENT, frozenset({S.SUPPLEMENT_REQUESTED}), S.PROCESSING,
                owner_or_receiving_desk, _clean_supplement, _supplement))  # fmt: skip
register(Action(EventAction.REQUEST_PAYMENT, frozenset({S.RECEIVED, S.PROCESSING}),
                S.PAYMENT_REQUESTED, holding_staff, _clean_request_payment,
                _request_payment))  # fmt: skip
register(Action(EventAction.CONFIRM_PAYMENT, frozenset({S.PAYMENT_REQUESTED}), S.PROCESSING,
                holding_staff_or_receiving_desk, _clean_confirm_payment, _resume))  # fmt: skip
register(Action(EventAction.SUSPEND, frozenset({S.RECEIVED, S.PROCESSING}), S.SUSPENDED,
                holding_leader, _reason_required, _pause))  # fmt: skip
register(Action(EventAction.RESUME, frozenset({S.SUSPENDED}), S.PROCESSING, holding_leader,
                _reason_optional, _resume))  # fmt: skip
register(Action(EventAction.APOLOGIZE, frozenset(OPEN_STATUSES - {S.SUBMITTED}), None,
                holding_leader, _clean_apologize, _apologize))  # fmt: skip
register(Action(EventAction.COMPLETE, frozenset({S.PROCESSING}), S.RESULT_READY,
                holding_leader, _clean_complete, _complete))  # fmt: skip
register(Action(EventAction.RETURN, frozenset({S.RESULT_READY}), S.RETURNED, returning_desk,
                _clean_return, _return))  # fmt: skip
register(Action(EventAction.WITHDRAW, frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING,
                S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED}), S.WITHDRAWN,
                owner_or_receiving_desk, _reason_required, _withdraw))  # fmt: skip
register(Action(EventAction.FORWARD, frozenset({S.RECEIVED, S.PROCESSING}), S.PROCESSING,
                holding_staff, routing.clean_forward, routing.apply_forward))  # fmt: skip
# ``sign`` and ``submit-for-approval`` register themselves (dossiers/result_signing.py, imported
# at the end of this module).


# --- the service ----------------------------------------------------------------------------


def _lookup(dossier_ref) -> dict:
    if isinstance(dossier_ref, Dossier):
        return {"pk": dossier_ref.pk}
    if isinstance(dossier_ref, int):
        return {"pk": dossier_ref}
    ref = str(dossier_ref or "").strip()
    if not ref or "\x00" in ref or len(ref) > 64:
        raise NotFound()
    return {"code": ref}


def find_visible(dossier_ref, user, *, lock: bool = False) -> Dossier:
    """The dossier if ``user`` may see it, else NotFound (unknown and hidden look the same)."""
    queryset = Dossier.objects.visible_to(user)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    dossier = queryset.filter(**_lookup(dossier_ref)).first()
    if dossier is None:
        raise NotFound()
    return dossier


def allowed_actions(dossier: Dossier, user) -> list[str]:
    """Actions ``user`` may take on ``dossier`` in its current status (for pages and API)."""
    grants = grants_for(user)
    return [
        name
        for name, action in ACTIONS.items()
        if dossier.status in action.from_statuses
        and action.permitted(grants, dossier)
        and (action.offered is None or action.offered(grants, dossier))
    ]


def transition(dossier_ref, action: str, actor, **payload) -> Dossier:
    """Apply ``action`` to the dossier (code, id or instance) as ``actor``; see module doc."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise NotFound(_("Thao tác không tồn tại."))
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotFound()
    with AttachmentWriter() as writer, transaction.atomic():
        dossier = find_visible(dossier_ref, actor, lock=True)
        grants = grants_for(actor)
        if not spec.permitted(grants, dossier):
            raise NotAllowed()
        if dossier.status not in spec.from_statuses:
            raise InvalidState(
                _("Hồ sơ đang ở trạng thái “%(status)s”, không thể thực hiện thao tác này.")
                % {"status": dossier.status_label}
            )
        data = spec.clean(payload, dossier, grants)
        ctx = Context(
            dossier=dossier,
            actor=actor,
            grants=grants,
            now=timezone.now(),
            data=data,
            writer=writer,
        )
        from_status, from_agency_id = dossier.status, dossier.current_agency_id
        spec.apply(ctx)
        if spec.to_status is not None:
            dossier.status = spec.to_status
        dossier.save()
        record_event(
            dossier,
            action=spec.name,
            actor=actor,
            at=ctx.now,
            from_status=from_status,
            from_agency_id=from_agency_id,
            note=ctx.note,
            payload=ctx.event_payload,
            attachment_ids=[a.pk for a in ctx.attachments],
            is_public=spec.public,
        )
    return dossier


# Thin named helpers (readability at call sites).
def receive(dossier_ref, actor, note: str = "") -> Dossier:
    return transition(dossier_ref, EventAction.RECEIVE, actor, note=note)


def refuse(dossier_ref, actor, reason: str) -> Dossier:
    return transition(dossier_ref, EventAction.REFUSE, actor, reason=reason)


def withdraw(dossier_ref, actor, reason: str) -> Dossier:
    return transition(dossier_ref, EventAction.WITHDRAW, actor, reason=reason)


from dossiers import result_signing  # noqa: E402  (registers sign and submit-for-approval)
