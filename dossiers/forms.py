"""Forms of the dossier web pages. They only parse and present: every rule (required papers,
file types, phone and CCCD formats, who may act, which status allows what) is enforced by the
services (``filing.file_dossier``, ``workflow.transition``), whose field errors are put back on
these forms by ``apply_service_errors``."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from dossiers.models import RatingScore, ResultDelivery
from portal.models import Agency, UnitLevel
from procedures.models import ProcedureVersion, RequiredDocument

DOC_PREFIX = "doc_"
#: Headings of the forward form's agency groups.
LEVEL_GROUPS = {
    UnitLevel.PROVINCE: _("Cấp tỉnh"),
    UnitLevel.DISTRICT: _("Cấp huyện"),
    UnitLevel.COMMUNE: _("Cấp xã"),
}
SUBMISSION_KEY_BYTES = 24


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input accepting several files; cleans to a list (possibly empty)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [single(item, initial) for item in items if item]


class DateInput(forms.DateInput):
    """An HTML date picker (sends ISO dates whatever the browser's locale)."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def new_submission_key() -> str:
    return secrets.token_urlsafe(SUBMISSION_KEY_BYTES)


def _document_help(document: RequiredDocument, requested: bool | None = None) -> str:
    """Counts, formats and whether the paper is needed: required or not at filing
    (``requested`` None), asked for by the agency or optional in a supplement."""
    counts = []
    if document.originals:
        counts.append(_("%(n)s bản chính") % {"n": document.originals})
    if document.certified_copies:
        counts.append(_("%(n)s bản sao chứng thực") % {"n": document.certified_copies})
    if document.photocopies:
        counts.append(_("%(n)s bản sao") % {"n": document.photocopies})
    kinds = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
    accepted = ", ".join(kinds.get(m, m) for m in document.accepted_mime_types)
    if requested is None:
        parts = [_("Bắt buộc") if document.required else _("Không bắt buộc")]
    elif requested:
        parts = [_("Cơ quan yêu cầu bổ sung giấy tờ này")]
    else:
        parts = [_("Không bắt buộc, chỉ nộp khi cần bổ sung thêm")]
    if counts:
        parts.append(", ".join(str(c) for c in counts))
    if accepted:
        parts.append(_("Định dạng: %(kinds)s; có thể chọn nhiều tệp") % {"kinds": accepted})
    return ". ".join(str(p) for p in parts) + "."


class DocumentFieldsMixin:
    """One ``doc_<code>`` multiple-file input per required document of a version."""

    def add_document_fields(self, documents: Iterable[RequiredDocument], *, mark_required: bool):
        self.document_groups: list[tuple[str, list[str]]] = []
        groups: dict[str, list[str]] = {}
        for document in documents:
            name = f"{DOC_PREFIX}{document.code}"
            attrs = {"accept": ",".join(document.accepted_mime_types)}
            if mark_required and document.required:
                # A hint for the browser; the filing service is what refuses a missing paper.
                attrs["required"] = True
            self.fields[name] = MultipleFileField(
                label=document.name,
                required=False,
                help_text=_document_help(document),
                widget=MultipleFileInput(attrs=attrs),
            )
            groups.setdefault(document.case or "", []).append(name)
        self.document_groups = list(groups.items())

    def document_bound_groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(case, [self[name] for name in names]) for case, names in self.document_groups]

    def document_files(self, files) -> dict[str, list]:
        """The uploads of this form's document inputs, as ``{"doc_<code>": [files]}``."""
        result: dict[str, list] = {}
        if not files:
            return result
        for name in self.fields:
            if name.startswith(DOC_PREFIX):
                uploads = [f for f in files.getlist(self.add_prefix(name)) if f]
                if uploads:
                    result[name] = uploads
        return result


class FilingForm(DocumentFieldsMixin, forms.Form):
    """Online filing by a citizen, or a walk-in filing by desk staff (``walk_in=True``)."""

    applicant_name = forms.CharField(label=_("Họ và tên người nộp"), max_length=200)
    applicant_id_number = forms.CharField(
        label=_("Số CCCD"), max_length=12, help_text=_("Căn cước công dân, 12 chữ số.")
    )
    applicant_phone = forms.CharField(
        label=_("Số điện thoại"),
        max_length=15,
        help_text=_("Dùng để tra cứu hồ sơ và nhận tin nhắn, ví dụ 0912345678."),
    )
    applicant_email = forms.EmailField(label=_("Thư điện tử"), required=False, max_length=254)
    applicant_address = forms.CharField(label=_("Địa chỉ"), max_length=500)
    summary = forms.CharField(
        label=_("Nội dung yêu cầu"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(
        self,
        *args,
        version: ProcedureVersion,
        receiving_agencies: list | None = None,
        walk_in: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.version = version
        self.walk_in = walk_in
        if not self.is_bound:
            self.initial.setdefault("submission_key", new_submission_key())
        if receiving_agencies and len(receiving_agencies) > 1 and not walk_in:
            self.fields["receiving_agency"] = forms.ChoiceField(
                label=_("Nơi nộp hồ sơ"),
                choices=[(a.code, a.name) for a in receiving_agencies],
            )
        if version.postal_eligible:
            self.fields["result_delivery"] = forms.ChoiceField(
                label=_("Hình thức nhận kết quả"),
                choices=ResultDelivery.choices,
                initial=ResultDelivery.DESK,
                widget=forms.RadioSelect,
            )
            self.fields["delivery_address"] = forms.CharField(
                label=_("Địa chỉ nhận kết quả qua bưu chính"),
                required=False,
                max_length=500,
                help_text=_("Bắt buộc khi chọn nhận kết quả qua bưu chính."),
            )
            self.fields["pickup_by_post"] = forms.BooleanField(
                label=_("Đề nghị bưu chính công ích đến thu gom hồ sơ giấy"), required=False
            )
        self.add_document_fields(version.documents.all(), mark_required=True)

    @staticmethod
    def initial_for(user) -> dict:
        """Applicant data prefilled from the citizen's account and profile."""
        if user is None or not user.is_authenticated:
            return {}
        initial = {"applicant_name": user.get_full_name(), "applicant_email": user.email}
        profile = getattr(user, "citizen_profile", None)
        if profile is not None:
            initial.update(
                applicant_phone=profile.phone,
                applicant_id_number=profile.citizen_id,
                applicant_address=profile.address,
            )
        return {k: v for k, v in initial.items() if v}

    def applicant_fields(self) -> list[forms.BoundField]:
        names = ["applicant_name", "applicant_id_number", "applicant_phone"]
        names += ["applicant_email", "applicant_address", "summary"]
        if "receiving_agency" in self.fields:
            names.append("receiving_agency")
        return [self[name] for name in names]

    def delivery_fields(self) -> list[forms.BoundField]:
        names = ["result_delivery", "delivery_address", "pickup_by_post"]
        return [self[name] for name in names if name in self.fields]

    def service_data(self) -> dict:
        """What the filing service reads (files and the key travel separately)."""
        skip = {"submission_key"}
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in skip and not name.startswith(DOC_PREFIX)
        }


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Ghi chú"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AssignForm(NoteForm):
    assignee = forms.ChoiceField(label=_("Chuyên viên xử lý"))

    field_order = ["assignee", "note"]

    def __init__(self, *args, specialists: Iterable = (), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— Chọn chuyên viên —"))]
        choices += [(u.username, u.get_full_name()) for u in specialists]
        self.fields["assignee"].choices = choices


class RequestSupplementForm(forms.Form):
    documents = forms.MultipleChoiceField(
        label=_("Giấy tờ cần bổ sung"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_documents = forms.CharField(
        label=_("Giấy tờ khác (mỗi dòng một giấy tờ)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    reason = forms.CharField(
        label=_("Lý do, hướng dẫn bổ sung"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, document_names: Iterable[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = [(name, name) for name in document_names]

    def service_payload(self) -> dict:
        data = self.cleaned_data
        documents = list(data.get("documents") or [])
        documents += [line for line in (data.get("other_documents") or "").splitlines() if line]
        return {"documents": documents, "reason": data.get("reason", "")}


class RequestPaymentForm(forms.Form):
    amount = forms.IntegerField(label=_("Số tiền phải nộp (đồng)"), min_value=1)
    reason = forms.CharField(
        label=_("Khoản phí, lệ phí"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConfirmPaymentForm(NoteForm):
    receipt_number = forms.CharField(label=_("Số biên lai"), required=False, max_length=100)

    field_order = ["receipt_number", "note"]


class ApologizeForm(ReasonForm):
    new_due_date = forms.DateField(label=_("Ngày hẹn trả mới"), widget=DateInput)


class CompleteForm(NoteForm):
    result_summary = forms.CharField(
        label=_("Tóm tắt kết quả giải quyết"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    result_file = forms.FileField(
        label=_("Tệp kết quả (PDF)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf"}),
    )

    field_order = ["result_summary", "result_file", "note"]

    def __init__(self, *args, can_generate: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if can_generate:
            self.fields["generate"] = forms.BooleanField(
                label=_("Tạo kết quả từ mẫu của thủ tục"), required=False
            )


class SignForm(NoteForm):
    """The sign action: the certificate is the signer's own registered one; only a note."""


class SubmitForApprovalForm(forms.Form):
    note = forms.CharField(
        label=_("Nội dung đề xuất, dự thảo kết quả"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    draft_file = forms.FileField(
        label=_("Tệp dự thảo (PDF, không bắt buộc)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf"}),
    )


class ReturnForm(NoteForm):
    method = forms.ChoiceField(
        label=_("Hình thức trả kết quả"), choices=ResultDelivery.choices, widget=forms.RadioSelect
    )

    field_order = ["method", "note"]


class ForwardForm(NoteForm):
    """The receiving agency chosen by name among those the holder may forward to (grouped by
    level); the value sent is the agency code, as the API takes it."""

    agency = forms.ChoiceField(
        label=_("Cơ quan nhận"),
        required=False,
        help_text=_(
            "Giữ “Bước tiếp theo trong quy trình” để chuyển theo quy trình của thủ tục, hoặc chọn "
            "cơ quan nhận."
        ),
        error_messages={
            "invalid_choice": _(
                "Không thể chuyển đến cơ quan %(value)s: hãy chọn một cơ quan trong danh sách."
            )
        },
    )

    field_order = ["agency", "note"]

    def __init__(self, *args, targets: Iterable[Agency] = (), **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for agency in targets:
            label = LEVEL_GROUPS.get(agency.unit.level, agency.unit.get_level_display())
            groups.setdefault(str(label), []).append(
                (agency.code, f"{agency.name} ({agency.code})")
            )
        self.fields["agency"].choices = [
            ("", _("— Bước tiếp theo trong quy trình —")),
            *groups.items(),
        ]


def is_requested(document: RequiredDocument, requested: Iterable[str]) -> bool:
    """Whether a supplement request names ``document`` (the desk sends names; the API may
    send codes)."""
    wanted = {" ".join(str(item).split()).casefold() for item in requested}
    return document.name.strip().casefold() in wanted or document.code.casefold() in wanted


class SupplementForm(DocumentFieldsMixin, NoteForm):
    """Papers added after a supplement request (citizen, or the desk at the counter).

    The papers the request names (``requested``) come first under their own heading; none is
    required by the browser, since only the ones asked for matter and the service refuses a
    supplement without any file, with its own message."""

    def __init__(
        self,
        *args,
        documents: Iterable[RequiredDocument] = (),
        requested: Iterable[str] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        requested = list(requested)
        documents = list(documents)
        asked = [d for d in documents if is_requested(d, requested)]
        others = [d for d in documents if d not in asked]
        self.requested_names = [d.name for d in asked]
        self.add_document_fields(asked + others, mark_required=False)
        for document in documents:
            field = self.fields[f"{DOC_PREFIX}{document.code}"]
            field.help_text = _document_help(document, requested=document in asked)
        names = {d.code: f"{DOC_PREFIX}{d.code}" for d in documents}
        groups = []
        if asked:
            groups.append((_("Giấy tờ cơ quan yêu cầu bổ sung"), [names[d.code] for d in asked]))
        if others:
            heading = _("Giấy tờ khác của hồ sơ (nếu cần)") if asked else ""
            groups.append((heading, [names[d.code] for d in others]))
        self.document_groups = groups


class WithdrawForm(ReasonForm):
    confirm = forms.BooleanField(
        label=_("Tôi xác nhận rút hồ sơ này; việc rút hồ sơ không thể hoàn tác."), required=True
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Mức độ hài lòng"),
        coerce=int,
        choices=sorted(RatingScore.choices, key=lambda c: -c[0]),
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Góp ý"), required=False, max_length=2000, widget=forms.Textarea({"rows": 3})
    )


class TrackForm(forms.Form):
    code = forms.CharField(label=_("Mã hồ sơ"), max_length=64)
    phone = forms.CharField(
        label=_("Số điện thoại người nộp"),
        max_length=20,
        help_text=_("Số điện thoại đã khai khi nộp hồ sơ."),
    )


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's field errors on the matching form fields (others on the form)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)
