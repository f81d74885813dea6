"""Helpers shared by the dossier pages: access guards, deadline highlighting, download links."""

from __future__ import annotations

import datetime
import functools
import posixpath
from collections.abc import Callable, Iterable

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from dossiers import deadlines
from dossiers.links import links_for
from dossiers.models import Attachment, Dossier, DossierEvent, EventAction, Status
from portal.models import Role
from portal.permissions import grants_for

PAGE_SIZE = 20


def requested_documents(dossier: Dossier) -> list[str]:
    """The papers named by the dossier's latest supplement request (empty when none)."""
    payload = (
        DossierEvent.objects.filter(dossier=dossier, action=EventAction.REQUEST_SUPPLEMENT)
        .order_by("-at", "-id")
        .values_list("payload", flat=True)
        .first()
    )
    documents = payload.get("documents") if isinstance(payload, dict) else None
    return [str(d) for d in documents] if isinstance(documents, list) else []


def forbidden(request: HttpRequest, message: str | None = None) -> HttpResponse:
    context = {"message": message or _("Bạn không có quyền truy cập trang này.")}
    return render(request, "dossiers/forbidden.html", context, status=403)


def is_staff(user) -> bool:
    grants = grants_for(user)
    return grants.is_superuser or grants.is_staff_member


def staff_required(view: Callable) -> Callable:
    """Anonymous → the login page; signed-in users without a staff role → 403."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff(request.user):
            return forbidden(request, _("Trang này dành cho cán bộ tiếp nhận, xử lý hồ sơ."))
        return view(request, *args, **kwargs)

    return wrapper


def desk_required(view: Callable) -> Callable:
    """Walk-in filing: one-stop desk staff only."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not grants_for(request.user).has_any_role(Role.DESK):
            return forbidden(
                request, _("Chỉ cán bộ bộ phận một cửa mới tiếp nhận hồ sơ trực tiếp.")
            )
        return view(request, *args, **kwargs)

    return wrapper


def deadline_of(dossier: Dossier) -> datetime.datetime | None:
    """The date that matters now: the intake deadline before intake, else the appointment."""
    if dossier.status == Status.SUBMITTED:
        return dossier.intake_due_at
    return dossier.due_at


def deadline_state(dossier: Dossier, now: datetime.datetime) -> str:
    """``overdue``, ``today`` (due later today) or ``""``, for highlighting open dossiers."""
    if not dossier.is_open:
        return ""
    if deadlines.is_overdue(dossier, now):
        return "overdue"
    due = deadline_of(dossier)
    if (
        due is not None
        and not dossier.is_paused
        and timezone.localdate(due) == timezone.localdate(now)
    ):
        return "today"
    return ""


def mark_deadlines(dossiers: Iterable[Dossier], now: datetime.datetime | None = None) -> None:
    now = now or timezone.now()
    for dossier in dossiers:
        dossier.deadline = deadline_of(dossier)
        dossier.deadline_state = deadline_state(dossier, now)


DEADLINE_FLAGS = {
    "overdue": ("badge-late", _lazy("Quá hạn")),
    "today": ("badge-today", _lazy("Đến hạn hôm nay")),
}


def prepare_rows(dossiers: Iterable[Dossier], now: datetime.datetime | None = None) -> None:
    """Everything a list row shows, computed once in Python (labels translated once per page,
    dates formatted without template filters), so the row template has no includes."""
    now = now or timezone.now()
    labels = {value: str(label) for value, label in Status.choices}
    flags = {state: (css, str(text)) for state, (css, text) in DEADLINE_FLAGS.items()}
    for dossier in dossiers:
        dossier.deadline = deadline_of(dossier)
        dossier.deadline_state = deadline_state(dossier, now)
        dossier.status_text = labels.get(dossier.status, "")
        dossier.flag_class, dossier.flag_text = flags.get(dossier.deadline_state, ("", ""))
        if dossier.deadline is not None:
            local = timezone.localtime(dossier.deadline)
            dossier.deadline_iso = local.isoformat()
            dossier.deadline_text = local.strftime("%d/%m/%Y %H:%M")
        submitted = dossier.submitted_at
        dossier.submitted_text = (
            timezone.localtime(submitted).strftime("%d/%m/%Y %H:%M") if submitted else ""
        )


def attachment_token(attachment: Attachment) -> str:
    """The random part of the stored name: an unguessable key for the download URL."""
    return posixpath.basename(attachment.storage_name).split(".", 1)[0]


def with_download_urls(dossier: Dossier, attachments: Iterable[Attachment]) -> list[Attachment]:
    result = []
    for attachment in attachments:
        attachment.download_url = reverse(
            "dossiers:attachment", args=[dossier.code, attachment_token(attachment)]
        )
        result.append(attachment)
    return result


def valid_code(code: str) -> bool:
    return bool(code) and len(code) <= 64 and "\x00" not in code


LINK_LABELS = {
    "receipt": _lazy("Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "supplement_request": _lazy("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "refusal": _lazy("Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    "apology": _lazy("Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "process_control": _lazy("Phiếu kiểm soát quá trình giải quyết hồ sơ"),
    "result": _lazy("Kết quả giải quyết"),
    "payment": _lazy("Thanh toán phí, lệ phí"),
}
#: Internal records (officials' names, notes) are not linked from the citizen's pages.
STAFF_ONLY_LINKS = frozenset({"process_control"})


def document_links(
    dossier: Dossier, request: HttpRequest, *, staff: bool = False
) -> list[tuple[str, str]]:
    """(label, url) of the documents other apps offer for the dossier (receipt, result...)."""
    return [
        (str(LINK_LABELS.get(name, name)), url)
        for name, url in links_for(dossier, request).items()
        if url and (staff or name not in STAFF_ONLY_LINKS)
    ]
