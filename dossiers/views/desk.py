"""The desk area: the agency's queues (tabs by status) and the processing page, whose action
forms post to a thin view around ``workflow.transition``."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from dossiers import list_cache, queues, workflow
from dossiers.errors import (
    DossierError,
    InvalidState,
    NotAllowed,
    NotFound,
    TooLarge,
    ValidationError,
)
from dossiers.forms import apply_service_errors
from dossiers.models import Attachment, Dossier, DossierEvent
from dossiers.panels import panels_for
from dossiers.queues import DEFAULT_TAB, TABS, TABS_BY_KEY, Tab
from dossiers.views.actions import ActionContext, action_label, make_form, offered_actions
from dossiers.views.actions import service_payload as action_payload
from dossiers.views.common import (
    PAGE_SIZE,
    document_links,
    mark_deadlines,
    prepare_rows,
    staff_required,
    valid_code,
    with_download_urls,
)
from dossiers.web_filters import DESK_FILTERS, DeskFilter
from portal.models import Role, StaffMembership
from portal.permissions import Grants, grants_for
from portal.shell import render_in_shell
from procedures.models import Sector

CONFLICT_MESSAGE = gettext_lazy(
    "Hồ sơ đã được xử lý bởi người khác hoặc không còn ở trạng thái cho phép thao tác này."
)


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


def _filter_choices(user) -> tuple[list, list]:
    """The sector and assignee options, cached per agency set until the directory changes."""
    grants = grants_for(user)
    key = queues.directory_key(
        "choices", "all" if grants.is_superuser else sorted(grants.agency_ids)
    )
    cached = cache.get(key)
    if cached is not None:
        return cached
    sectors = list(Sector.objects.order_by("name").values_list("code", "name"))
    memberships = StaffMembership.objects.filter(
        role=Role.SPECIALIST, is_active=True, user__is_active=True
    )
    if not grants.is_superuser:
        memberships = memberships.filter(agency_id__in=grants.agency_ids)
    rows = memberships.order_by("user__full_name", "user__username").values_list(
        "user__username", "user__full_name"
    )
    assignees = list({username: name or username for username, name in rows}.items())
    cache.set(key, (sectors, assignees), queues.DIRECTORY_TTL)
    return sectors, assignees


def _filter_form_html(request: HttpRequest, filterset: DeskFilter, choices_key: str) -> str:
    """The filter form's fields, rendered once per (language, options, values): Django renders
    every <option> through a template, which costs more than the rest of the page."""
    data = sorted((name, request.GET.getlist(name)) for name in DESK_FILTERS)
    key = queues.directory_key("form", [get_language(), choices_key, data])
    html = cache.get(key)
    if html is None:
        html = render_to_string("partials/form_fields.html", {"form": filterset.form})
        cache.set(key, html, queues.DIRECTORY_TTL)
    return html


def _query_without(params: QueryDict, *keys: str) -> str:
    copy = params.copy()
    for key in keys:
        copy.pop(key, None)
    return copy.urlencode()


@staff_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    """The queue, served from the cache while nothing it shows has changed (``list_cache``):
    a hit reads neither counts nor rows. Only the page around it is rendered per user."""
    tab = TABS_BY_KEY.get(request.GET.get("tab") or DEFAULT_TAB)
    grants = grants_for(request.user)
    now = timezone.now()
    key = queues.fragment_key(grants, request.GET, get_language())
    generation_keys = queues.fragment_generation_keys(grants)
    content, tokens = list_cache.lookup(key, generation_keys, now)
    status = 200
    if content is None:
        # The tokens are read before the data: a change committed meanwhile makes this stale.
        tokens = list_cache.current_tokens(generation_keys, tokens)
        content, status, valid_until = _render_queue(request, grants, tab, now)
        if status == 200:
            list_cache.store(key, tokens, content, now, valid_until)
    return render_in_shell(
        request,
        "dossiers/desk/queue.html",
        {"tab": tab},
        content,
        variant=tab.key if tab else "",
        status=status,
    )


def _render_queue(
    request: HttpRequest, grants: Grants, tab: Tab | None, now: datetime.datetime
) -> tuple[str, int, datetime.datetime]:
    """The queue's HTML (tabs, filters, rows, pagination), its status and how long its
    highlighting holds. Rendered without the request: nothing of the user goes in."""
    sectors, assignees = _filter_choices(request.user)
    choices_key = repr((sectors, assignees))
    base = Dossier.objects.visible_to(request.user)
    filterset = DeskFilter(request.GET, queryset=base, sectors=sectors, assignees=assignees)
    valid = filterset.is_valid() and tab is not None
    counts: dict = {}
    page = None
    valid_until = now
    if valid:
        # The filters on unscoped rows: every queue branch is bounded to the user's agencies.
        filtered = filterset.filter_queryset(Dossier.objects.all())
        counts = queues.tab_counts(filtered, grants, tab, now, cacheable=not filterset.is_active)
        rows = base.select_related(
            "procedure", "procedure_version", "assignee", "current_agency"
        ).only(*QUEUE_FIELDS)

        def fetch(start: int, stop: int) -> list[Dossier]:
            return queues.fetch_page(rows, filtered, grants, tab, now, start, stop)

        paginator = Paginator(queues.QueueRows(counts[tab.key] or 0, fetch), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        prepare_rows(page.object_list, now)
        valid_until = list_cache.highlighting_valid_until(page.object_list, now)
    tabs = [
        {"key": t.key, "label": t.label, "count": counts.get(t.key), "current": t is tab}
        for t in TABS
    ]
    context = {
        "tabs": tabs,
        "tab": tab,
        "filterset": filterset,
        "form": filterset.form,
        # Bound forms with errors are rendered as they are; valid ones come from the cache.
        "form_html": _filter_form_html(request, filterset, choices_key) if valid else None,
        "page": page,
        "tab_query": _query_without(request.GET, "tab", "page"),
        "page_query": _query_without(request.GET, "page"),
        "bad_tab": tab is None,
        "can_file": grants.has_any_role(Role.DESK),
    }
    html = render_to_string("dossiers/desk/queue_content.html", context)
    return html, 200 if valid else 400, valid_until


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
