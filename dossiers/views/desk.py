"""The desk area: the agency's queues (tabs by status) and the processing page, whose action
forms post to a thin view around ``workflow.transition``."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from dossiers import workflow
from dossiers.errors import (
    DossierError,
    InvalidState,
    NotAllowed,
    NotFound,
    TooLarge,
    ValidationError,
)
from dossiers.forms import apply_service_errors
from dossiers.models import Attachment, Dossier, DossierEvent, Status
from dossiers.panels import panels_for
from dossiers.views.actions import ActionContext, action_label, make_form, offered_actions
from dossiers.views.actions import service_payload as action_payload
from dossiers.views.common import (
    PAGE_SIZE,
    document_links,
    mark_deadlines,
    staff_required,
    valid_code,
    with_download_urls,
)
from dossiers.web_filters import DeskFilter
from portal.models import Role, StaffMembership
from portal.permissions import grants_for
from procedures.models import Sector

CONFLICT_MESSAGE = gettext_lazy(
    "Hồ sơ đã được xử lý bởi người khác hoặc không còn ở trạng thái cho phép thao tác này."
)


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    status: int | None  # None: the overdue tab


TABS = (
    Tab("new", gettext_lazy("Chờ tiếp nhận"), Status.SUBMITTED),
    Tab("received", gettext_lazy("Đã tiếp nhận"), Status.RECEIVED),
    Tab("processing", gettext_lazy("Đang xử lý"), Status.PROCESSING),
    Tab("supplement", gettext_lazy("Chờ bổ sung"), Status.SUPPLEMENT_REQUESTED),
    Tab("payment", gettext_lazy("Chờ nghĩa vụ tài chính"), Status.PAYMENT_REQUESTED),
    Tab("suspended", gettext_lazy("Tạm dừng"), Status.SUSPENDED),
    Tab("overdue", gettext_lazy("Quá hạn"), None),
    Tab("result", gettext_lazy("Chờ trả kết quả"), Status.RESULT_READY),
    Tab("returned", gettext_lazy("Đã trả"), Status.RETURNED),
)
TABS_BY_KEY = {tab.key: tab for tab in TABS}
DEFAULT_TAB = "new"

QUEUE_FIELDS = (
    "code",
    "status",
    "applicant_name",
    "applicant_phone",
    "submitted_at",
    "received_at",
    "intake_due_at",
    "due_at",
    "paused_at",
    "returned_at",
    "channel",
    "procedure__code",
    "procedure_version__name",
    "assignee__username",
    "assignee__full_name",
    "assignee__first_name",
    "assignee__last_name",
    "current_agency__name",
    "approval_requested_at",
    "result_signed_at",
)


def _ordering(tab: Tab) -> list:
    if tab.status == Status.SUBMITTED:
        return [F("intake_due_at").asc(nulls_last=True), "id"]
    if tab.status == Status.RETURNED:
        return [F("returned_at").desc(nulls_last=True), "-id"]
    if tab.status is None:
        return [Coalesce("due_at", "intake_due_at").asc(nulls_last=True), "id"]
    return [F("due_at").asc(nulls_last=True), "id"]


def _filter_choices(user) -> tuple[list, list]:
    sectors = list(Sector.objects.order_by("name").values_list("code", "name"))
    grants = grants_for(user)
    memberships = StaffMembership.objects.filter(
        role=Role.SPECIALIST, is_active=True, user__is_active=True
    )
    if not grants.is_superuser:
        memberships = memberships.filter(agency_id__in=grants.agency_ids)
    rows = memberships.order_by("user__full_name", "user__username").values_list(
        "user__username", "user__full_name"
    )
    assignees = list({username: name or username for username, name in rows}.items())
    return sectors, assignees


def _query_without(params: QueryDict, *keys: str) -> str:
    copy = params.copy()
    for key in keys:
        copy.pop(key, None)
    return copy.urlencode()


#: Statuses whose tabs are counted on every page view: the open workload, bounded by what the
#: agency has in hand. "Đã trả" grows with history and is counted only when it is shown.
WORKLOAD_STATUSES = tuple(t.status for t in TABS if t.status not in (None, Status.RETURNED))


def queue_scope(queryset, user, statuses):
    """Narrow ``queryset`` (already ``visible_to(user)``) to the user's agencies' dossiers in
    ``statuses``, written as one (agency, status) condition per agency column so PostgreSQL
    answers it from the (agency, status, due_at) indexes instead of reading every dossier the
    agency ever had. Never widens: it only adds a condition."""
    grants = grants_for(user)
    statuses = list(statuses)
    if grants.is_superuser and not grants.agency_ids:
        return queryset.filter(status__in=statuses)
    agencies = list(grants.agency_ids)
    return queryset.filter(
        Q(current_agency_id__in=agencies, status__in=statuses)
        | Q(receiving_agency_id__in=agencies, status__in=statuses)
        | Q(returning_agency_id__in=agencies, status__in=statuses)
        | Q(deciding_agency_id__in=agencies, status__in=statuses)
    )


def _tab_counts(filtered, user, tab: Tab, now) -> dict[str, int | None]:
    statuses = set(WORKLOAD_STATUSES)
    if tab.status == Status.RETURNED:
        statuses.add(Status.RETURNED)
    rows = (
        queue_scope(filtered, user, statuses)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    by_status = dict(rows)
    counts: dict[str, int | None] = {
        t.key: by_status.get(t.status, 0) if t.status in statuses else None
        for t in TABS
        if t.status is not None
    }
    counts["overdue"] = queue_scope(filtered, user, WORKLOAD_STATUSES).overdue(now).count()
    return counts


@staff_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    tab_key = request.GET.get("tab") or DEFAULT_TAB
    tab = TABS_BY_KEY.get(tab_key)
    sectors, assignees = _filter_choices(request.user)
    base = Dossier.objects.visible_to(request.user)
    filterset = DeskFilter(request.GET, queryset=base, sectors=sectors, assignees=assignees)
    valid = filterset.is_valid() and tab is not None
    now = timezone.now()
    counts: dict = {}
    page = None
    if valid:
        filtered = filterset.qs
        counts = _tab_counts(filtered, request.user, tab, now)
        if tab.status is None:
            rows = queue_scope(filtered, request.user, WORKLOAD_STATUSES).overdue(now)
        else:
            rows = queue_scope(filtered, request.user, [tab.status])
        rows = (
            rows.select_related("procedure", "procedure_version", "assignee", "current_agency")
            .only(*QUEUE_FIELDS)
            .order_by(*_ordering(tab))
        )
        paginator = Paginator(rows, PAGE_SIZE)
        paginator.count = counts[tab.key]  # already counted above: no second COUNT query
        page = paginator.get_page(request.GET.get("page"))
        mark_deadlines(page.object_list, now)
    tabs = [
        {"key": t.key, "label": t.label, "count": counts.get(t.key), "current": t is tab}
        for t in TABS
    ]
    context = {
        "tabs": tabs,
        "tab": tab,
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "tab_query": _query_without(request.GET, "tab", "page"),
        "page_query": _query_without(request.GET, "page"),
        "bad_tab": tab is None,
        "can_file": grants_for(request.user).has_any_role(Role.DESK),
        "now": now,
    }
    return render(request, "dossiers/desk/queue.html", context, status=200 if valid else 400)


def _visible_dossier(request: HttpRequest, code: str) -> Dossier:
    if not valid_code(code):
        raise Http404
    dossier = (
        Dossier.objects.visible_to(request.user)
        .filter(code=code)
        .select_related(
            "procedure",
            "procedure_version",
            "receiving_agency",
            "current_agency",
            "returning_agency",
            "assignee",
            "applicant",
        )
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


def _render_processing(
    request: HttpRequest, dossier: Dossier, *, bound=None, status: int = 200
) -> HttpResponse:
    events = (
        DossierEvent.objects.filter(dossier=dossier)
        .select_related("from_agency", "to_agency", "assignee")
        .order_by("at", "id")
    )
    attachments = with_download_urls(
        dossier, Attachment.objects.filter(dossier=dossier).order_by("id")
    )
    mark_deadlines([dossier])
    context = {
        "dossier": dossier,
        "events": events,
        "attachments": attachments,
        "actions": offered_actions(dossier, request.user, bound=bound),
        "links": document_links(dossier, request, staff=True),
        "panels": panels_for(request, dossier, "staff"),
    }
    return render(request, "dossiers/desk/detail.html", context, status=status)


@staff_required
@require_safe
def detail(request: HttpRequest, code: str) -> HttpResponse:
    return _render_processing(request, _visible_dossier(request, code))


def _conflict_message(dossier: Dossier, action: str, exc: InvalidState) -> str:
    """Someone else moved the dossier on (the usual 409): say so; otherwise the service's reason
    (e.g. an apology before the dossier is late)."""
    status = Dossier.objects.filter(pk=dossier.pk).values_list("status", flat=True).first()
    if status not in workflow.ACTIONS[action].from_statuses:
        return str(CONFLICT_MESSAGE)
    return exc.message


@staff_required
@require_POST
def act(request: HttpRequest, code: str, action: str) -> HttpResponse:
    """Run one action through the transition service; errors become messages or form errors."""
    dossier = _visible_dossier(request, code)
    if action not in workflow.ACTIONS:
        raise Http404
    form = make_form(action, ActionContext(dossier), request.POST, request.FILES)
    if not form.is_valid():
        return _render_processing(request, dossier, bound=(action, form), status=400)
    try:
        workflow.transition(
            dossier.code, action, request.user, **action_payload(action, form, request.FILES)
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return _render_processing(request, dossier, bound=(action, form), status=400)
    except TooLarge as exc:
        form.add_error(None, exc.message)
        return _render_processing(request, dossier, bound=(action, form), status=413)
    except NotFound as exc:
        raise Http404 from exc
    except InvalidState as exc:
        messages.error(request, _conflict_message(dossier, action, exc))
    except NotAllowed as exc:
        messages.error(request, exc.message)
    except DossierError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Đã thực hiện “%(action)s” cho hồ sơ %(code)s.")
            % {"action": action_label(action), "code": dossier.code},
        )
    if not Dossier.objects.visible_to(request.user).filter(pk=dossier.pk).exists():
        return redirect("dossiers:desk")
    return redirect("dossiers:desk-detail", code=dossier.code)
