"""The processing page's action forms: one form per lifecycle action the user may take now.

Which actions are offered comes from ``workflow.allowed_actions``; what an action needs and
whether it may happen is decided by ``workflow.transition``. This module only knows how to ask
for each action's fields and how to hand them to the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers import result_signing, routing, workflow
from dossiers.forms import (
    ApologizeForm,
    AssignForm,
    CompleteForm,
    ConfirmPaymentForm,
    ForwardForm,
    NoteForm,
    OptionalReasonForm,
    ReasonForm,
    RequestPaymentForm,
    RequestSupplementForm,
    ReturnForm,
    SignForm,
    SubmitForApprovalForm,
    SupplementForm,
    WithdrawForm,
)
from dossiers.models import Dossier, EventAction
from dossiers.views.common import requested_documents
from portal.models import Role, StaffMembership
from portal.permissions import grants_for
from procedures.models import RequiredDocument


@dataclass(frozen=True)
class ActionUI:
    form_class: type[forms.Form]
    button: str
    multipart: bool = False
    danger: bool = False


ACTION_UI: dict[str, ActionUI] = {
    EventAction.RECEIVE: ActionUI(NoteForm, _("Tiếp nhận hồ sơ")),
    EventAction.REFUSE: ActionUI(ReasonForm, _("Từ chối tiếp nhận"), danger=True),
    EventAction.ASSIGN: ActionUI(AssignForm, _("Phân công")),
    EventAction.FORWARD: ActionUI(ForwardForm, _("Chuyển xử lý")),
    EventAction.REQUEST_SUPPLEMENT: ActionUI(RequestSupplementForm, _("Yêu cầu bổ sung")),
    EventAction.SUPPLEMENT: ActionUI(SupplementForm, _("Nhận hồ sơ bổ sung"), multipart=True),
    EventAction.REQUEST_PAYMENT: ActionUI(RequestPaymentForm, _("Yêu cầu nộp phí, lệ phí")),
    EventAction.CONFIRM_PAYMENT: ActionUI(ConfirmPaymentForm, _("Xác nhận đã nộp")),
    EventAction.SUSPEND: ActionUI(ReasonForm, _("Dừng xử lý"), danger=True),
    EventAction.RESUME: ActionUI(OptionalReasonForm, _("Tiếp tục xử lý")),
    EventAction.APOLOGIZE: ActionUI(ApologizeForm, _("Gửi phiếu xin lỗi, hẹn lại")),
    EventAction.COMPLETE: ActionUI(CompleteForm, _("Hoàn thành, chuyển trả kết quả"), True),
    EventAction.RETURN: ActionUI(ReturnForm, _("Trả kết quả")),
    EventAction.SIGN: ActionUI(SignForm, _("Ký số")),
    EventAction.SUBMIT_FOR_APPROVAL: ActionUI(
        SubmitForApprovalForm, _("Trình lãnh đạo"), multipart=True
    ),
    EventAction.WITHDRAW: ActionUI(WithdrawForm, _("Rút hồ sơ theo đề nghị"), danger=True),
}
#: Actions registered later (e.g. by the Routing issue) without a dedicated form.
FALLBACK_UI = ActionUI(NoteForm, _("Thực hiện"))


def action_label(action: str) -> str:
    try:
        return str(EventAction(action).label)
    except ValueError:
        return action


@dataclass
class ActionContext:
    """Data some forms need, loaded once per page."""

    dossier: Dossier
    documents: list[RequiredDocument] | None = None
    specialists: list | None = None
    targets: list | None = None

    def get_documents(self) -> list[RequiredDocument]:
        if self.documents is None:
            self.documents = list(
                RequiredDocument.objects.filter(
                    version_id=self.dossier.procedure_version_id
                ).order_by("position", "id")
            )
        return self.documents

    def get_targets(self) -> list:
        if self.targets is None:
            self.targets = routing.forward_targets(self.dossier)
        return self.targets

    def get_specialists(self) -> list:
        if self.specialists is None:
            memberships = (
                StaffMembership.objects.filter(
                    agency_id=self.dossier.current_agency_id,
                    role=Role.SPECIALIST,
                    is_active=True,
                    user__is_active=True,
                )
                .select_related("user")
                .order_by("user__full_name", "user__username")
            )
            seen, users = set(), []
            for membership in memberships:
                if membership.user_id not in seen:
                    seen.add(membership.user_id)
                    users.append(membership.user)
            self.specialists = users
        return self.specialists


def make_form(action: str, ctx: ActionContext, data=None, files=None) -> forms.Form:
    ui = ACTION_UI.get(action, FALLBACK_UI)
    kwargs: dict = {"prefix": action}
    if ui.form_class is AssignForm:
        kwargs["specialists"] = ctx.get_specialists()
        if ctx.dossier.assignee_id:
            kwargs["initial"] = {"assignee": ctx.dossier.assignee.username}
    elif ui.form_class is ForwardForm:
        kwargs["targets"] = ctx.get_targets()
    elif ui.form_class is RequestSupplementForm:
        kwargs["document_names"] = [d.name for d in ctx.get_documents()]
    elif ui.form_class is SupplementForm:
        kwargs["documents"] = ctx.get_documents()
        kwargs["requested"] = requested_documents(ctx.dossier)
    elif ui.form_class is CompleteForm:
        kwargs["can_generate"] = bool(workflow.RESULT_GENERATORS)
    elif ui.form_class is ReturnForm:
        kwargs["initial"] = {"method": ctx.dossier.result_delivery}
    if data is not None:
        return ui.form_class(data, files, **kwargs)
    return ui.form_class(**kwargs)


def service_payload(action: str, form: forms.Form, files=None) -> dict:
    """The keyword arguments ``workflow.transition`` takes for ``action``."""
    if isinstance(form, RequestSupplementForm):
        return form.service_payload()
    data = dict(form.cleaned_data)
    data.pop("confirm", None)
    if isinstance(form, SupplementForm):
        return {"note": data.get("note", ""), "files": form.document_files(files)}
    if isinstance(form, CompleteForm):
        payload = {"result_summary": data["result_summary"], "note": data.get("note", "")}
        if data.get("result_file"):
            payload["result_file"] = data["result_file"]
        if data.get("generate"):
            payload["generate"] = True
        return payload
    return {key: value for key, value in data.items() if value is not None}


@dataclass
class OfferedAction:
    name: str
    label: str
    ui: ActionUI
    form: forms.Form

    @property
    def button(self) -> str:
        return str(self.ui.button)


def _labels(name: str, dossier: Dossier, user) -> tuple[str, ActionUI]:
    """The form's title and button; the sign form names the signature the user adds."""
    ui = ACTION_UI.get(name, FALLBACK_UI)
    if name == EventAction.SIGN:
        title, button = result_signing.sign_labels(grants_for(user), dossier)
        return title, ActionUI(ui.form_class, button, ui.multipart, ui.danger)
    return action_label(name), ui


def offered_actions(
    dossier: Dossier, user, *, bound: tuple[str, forms.Form] | None = None
) -> list[OfferedAction]:
    """One form per action ``user`` may take now (``bound``: the form just posted, with errors)."""
    ctx = ActionContext(dossier)
    offered = []
    for name in workflow.allowed_actions(dossier, user):
        form = bound[1] if bound and bound[0] == name else make_form(name, ctx)
        label, ui = _labels(name, dossier, user)
        offered.append(OfferedAction(name, label, ui, form))
    return offered
