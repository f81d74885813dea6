"""The citizen area: my dossiers, one dossier with its timeline and files, and the citizen's own
actions on it (supplement, withdrawal, rating), each through the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dossiers import list_cache, ratings, result_signing, workflow
from dossiers.errors import DossierError, NotFound, ValidationError
from dossiers.forms import RatingForm, SupplementForm, WithdrawForm, apply_service_errors
from dossiers.models import (
    Attachment,
    Dossier,
    DossierEvent,
    EventAction,
    Status,
)
from dossiers.panels import panels_for
from dossiers.views.common import (
    PAGE_SIZE,
    document_links,
    mark_deadlines,
    prepare_rows,
    requested_documents,
    valid_code,
    with_download_urls,
)
from portal.shell import render_in_shell
from procedures.models import RequiredDocument

LIST_FIELDS = (
    "code",
    "status",
    "submitted_at",
    "received_at",
    "intake_due_at",
    "due_at",
    "paused_at",
    "returned_at",
    "procedure_version__name",
    "procedure__code",
)
#: Reasons addressed to the applicant (Mẫu 02, 03, 04, withdrawal, payment): shown on the timeline.
PUBLIC_REASON_ACTIONS = {
    EventAction.REFUSE,
    EventAction.REQUEST_SUPPLEMENT,
    EventAction.REQUEST_PAYMENT,
    EventAction.APOLOGIZE,
    EventAction.WITHDRAW,
    EventAction.SUSPEND,
}


@login_required
@require_safe
def my_dossiers(request: HttpRequest) -> HttpResponse:
    """The citizen's dossiers, served from the cache while none of them changed (``list_cache``:
    one entry per applicant, query string and language; a hit makes no query of its own)."""
    now = timezone.now()
    user_id = request.user.pk
    key = ":".join(
        [
            list_cache.PREFIX,
            "mine",
            str(user_id),
            list_cache.digest((get_language(), list_cache.query_items(request.GET))),
        ]
    )
    generation_keys = [list_cache.applicant_key(user_id), list_cache.NAMES_KEY]
    content, tokens = list_cache.lookup(key, generation_keys, now)
    if content is None:
        tokens = list_cache.current_tokens(generation_keys, tokens)
        queryset = (
            Dossier.objects.visible_to(request.user)
            .filter(applicant=request.user)
            .select_related("procedure_version", "procedure")
            .only(*LIST_FIELDS)
            .order_by("-submitted_at", "-id")
        )
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = list(page.object_list)
        prepare_rows(rows, now)
        context = {"page": page, "rows": rows, "waiting_label": _("Chờ tiếp nhận")}
        content = render_to_string("dossiers/mine_content.html", context)
        valid_until = list_cache.highlighting_valid_until(rows, now)
        list_cache.store(key, tokens, content, now, valid_until)
    return render_in_shell(request, "dossiers/mine.html", {}, content)


def _own_dossier(request: HttpRequest, code: str) -> Dossier:
    """The dossier if the signed-in user filed it; 404 for anyone else (even staff)."""
    if not valid_code(code):
        raise Http404
    dossier = (
        Dossier.objects.visible_to(request.user)
        .filter(code=code, applicant=request.user)
        .select_related(
            "procedure", "procedure_version", "receiving_agency", "current_agency", "rating"
        )
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


def _timeline(dossier: Dossier) -> list[DossierEvent]:
    events = list(
        DossierEvent.objects.public()
        .filter(dossier=dossier)
        .select_related("to_agency")
        .only("at", "action", "to_status", "payload", "to_agency__name", "dossier_id")
        .order_by("at", "id")
    )
    for event in events:
        payload = event.payload if isinstance(event.payload, dict) else {}
        event.public_reason = (
            payload.get("reason", "") if event.action in PUBLIC_REASON_ACTIONS else ""
        )
        event.public_documents = (
            payload.get("documents") or [] if event.action == EventAction.REQUEST_SUPPLEMENT else []
        )
    return events


def _documents(dossier: Dossier) -> list[RequiredDocument]:
    return list(
        RequiredDocument.objects.filter(version_id=dossier.procedure_version_id).order_by(
            "position", "id"
        )
    )


def _render_detail(
    request: HttpRequest,
    dossier: Dossier,
    *,
    supplement_form: SupplementForm | None = None,
    rating_form: RatingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actions = workflow.allowed_actions(dossier, request.user)
    events = _timeline(dossier)
    attachments = with_download_urls(
        dossier,
        result_signing.citizen_files(
            list(Attachment.objects.filter(dossier=dossier).order_by("id"))
        ),
    )
    supplement_request = next(
        (e for e in reversed(events) if e.action == EventAction.REQUEST_SUPPLEMENT), None
    )
    if "supplement" in actions and supplement_form is None:
        supplement_form = SupplementForm(
            documents=_documents(dossier),
            requested=supplement_request.public_documents if supplement_request else (),
            prefix="supplement",
        )
    rating = _rating_of(dossier)
    can_rate = rating is None and ratings.can_rate(dossier, request.user)
    if can_rate and rating_form is None:
        rating_form = RatingForm(prefix="rating")
    mark_deadlines([dossier], timezone.now())
    context = {
        "dossier": dossier,
        "events": events,
        "attachments": attachments,
        "result_verification": result_signing.result_verification(attachments)
        if dossier.status in (Status.RESULT_READY, Status.RETURNED)
        else None,
        "supplement_form": supplement_form if "supplement" in actions else None,
        "supplement_request": supplement_request
        if dossier.status == Status.SUPPLEMENT_REQUESTED
        else None,
        "can_withdraw": "withdraw" in actions,
        "links": document_links(dossier, request),
        "rating": rating,
        "rating_form": rating_form if can_rate else None,
        "panels": panels_for(request, dossier, "citizen"),
    }
    return render(request, "dossiers/detail.html", context, status=status)


def _rating_of(dossier: Dossier):
    try:
        return dossier.rating
    except Dossier.rating.RelatedObjectDoesNotExist:
        return None


@login_required
@require_safe
def detail(request: HttpRequest, code: str) -> HttpResponse:
    if not valid_code(code):
        raise Http404
    dossier = (
        Dossier.objects.visible_to(request.user)
        .filter(code=code)
        .select_related(
            "procedure", "procedure_version", "receiving_agency", "current_agency", "rating"
        )
        .first()
    )
    if dossier is None:
        raise Http404
    if dossier.applicant_id != request.user.pk:
        # Staff who may see it work on it in the desk area.
        return redirect("dossiers:desk-detail", code=dossier.code)
    return _render_detail(request, dossier)


def _state_message(request: HttpRequest, exc: DossierError) -> None:
    """409 / 403 from a service: its own Vietnamese reason, as a message on the dossier page."""
    messages.error(request, exc.message)


@login_required
@require_POST
def supplement(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own_dossier(request, code)
    form = SupplementForm(
        request.POST,
        request.FILES,
        documents=_documents(dossier),
        requested=requested_documents(dossier),
        prefix="supplement",
    )
    if not form.is_valid():
        return _render_detail(request, dossier, supplement_form=form, status=400)
    try:
        workflow.transition(
            dossier.code,
            EventAction.SUPPLEMENT,
            request.user,
            note=form.cleaned_data.get("note", ""),
            files=form.document_files(request.FILES),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _render_detail(request, dossier, supplement_form=form, status=400)
    except NotFound as exc:
        raise Http404 from exc
    except DossierError as exc:
        if exc.status_code == 413:
            form.add_error(None, exc.message)
            return _render_detail(request, dossier, supplement_form=form, status=413)
        _state_message(request, exc)
        return redirect("dossiers:detail", code=dossier.code)
    messages.success(request, _("Đã gửi giấy tờ bổ sung. Hồ sơ được tiếp tục xử lý."))
    return redirect("dossiers:detail", code=dossier.code)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request: HttpRequest, code: str) -> HttpResponse:
    """A confirmation page with the reason; the withdrawal itself is the service's."""
    dossier = _own_dossier(request, code)
    status = 200
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                workflow.transition(
                    dossier.code,
                    EventAction.WITHDRAW,
                    request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            except NotFound as exc:
                raise Http404 from exc
            except DossierError as exc:
                _state_message(request, exc)
                return redirect("dossiers:detail", code=dossier.code)
            else:
                messages.success(request, _("Đã rút hồ sơ %(code)s.") % {"code": dossier.code})
                return redirect("dossiers:detail", code=dossier.code)
        else:
            status = 400
    else:
        if "withdraw" not in workflow.allowed_actions(dossier, request.user):
            messages.error(request, _("Hồ sơ ở trạng thái hiện tại không thể rút."))
            return redirect("dossiers:detail", code=dossier.code)
        form = WithdrawForm()
    return render(
        request, "dossiers/withdraw.html", {"dossier": dossier, "form": form}, status=status
    )


@login_required
@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own_dossier(request, code)
    form = RatingForm(request.POST, prefix="rating")
    if not form.is_valid():
        return _render_detail(request, dossier, rating_form=form, status=400)
    try:
        ratings.rate_dossier(
            dossier.code,
            request.user,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data.get("comment", ""),
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _render_detail(request, dossier, rating_form=form, status=400)
    except NotFound as exc:
        raise Http404 from exc
    except DossierError as exc:
        _state_message(request, exc)
        return redirect("dossiers:detail", code=dossier.code)
    messages.success(request, _("Cảm ơn bạn đã đánh giá mức độ hài lòng."))
    return redirect("dossiers:detail", code=dossier.code)
