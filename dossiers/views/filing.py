"""Filing pages: online by a citizen (``/dossiers/new/<code>/``) and walk-in at the desk
(``/desk/new/<code>/`` with its procedure picker ``/desk/new/``). Both call
``filing.file_dossier``; the form only parses and shows the service's errors."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from dossiers import deadlines
from dossiers.attachments import max_file_bytes
from dossiers.errors import DossierError, NotAllowed, TooLarge, ValidationError
from dossiers.filing import file_dossier, receiving_agencies_for
from dossiers.forms import FilingForm, apply_service_errors
from dossiers.models import FilingChannel
from dossiers.views.common import desk_required, valid_code
from procedures import queries
from procedures.filters import ProcedureFilter
from procedures.models import ProcedureVersion, RequiredDocument

PICKER_PAGE_SIZE = 20


def _published_version(code: str) -> ProcedureVersion:
    if not valid_code(code):
        raise Http404
    version = (
        ProcedureVersion.objects.published()
        .select_related("procedure", "implementing_agency__unit")
        .prefetch_related(
            Prefetch("documents", queryset=RequiredDocument.objects.order_by("position", "id")),
            "channels",
            "receiving_agencies",
        )
        .filter(procedure__code=code)
        .first()
    )
    if version is None:
        raise Http404
    return version


def _file(request: HttpRequest, version: ProcedureVersion, *, walk_in: bool) -> HttpResponse:
    template = "dossiers/desk/new.html" if walk_in else "dossiers/new.html"
    receiving = [] if walk_in else receiving_agencies_for(version)
    form_kwargs = {"version": version, "receiving_agencies": receiving, "walk_in": walk_in}
    status = 200
    if request.method == "POST":
        form = FilingForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                dossier = file_dossier(
                    procedure_code=version.procedure.code,
                    applicant_user=None if walk_in else request.user,
                    data=form.service_data(),
                    files=form.document_files(request.FILES),
                    channel=FilingChannel.DIRECT if walk_in else FilingChannel.ONLINE,
                    actor=request.user,
                    submission_key=form.cleaned_data["submission_key"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            except (TooLarge, NotAllowed) as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            except DossierError as exc:
                form.add_error(None, exc.message)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _("Đã nộp hồ sơ thành công. Mã hồ sơ: %(code)s.") % {"code": dossier.code}
                    if not walk_in
                    else _("Đã tiếp nhận hồ sơ. Mã hồ sơ: %(code)s.") % {"code": dossier.code},
                )
                target = "dossiers:desk-detail" if walk_in else "dossiers:detail"
                return redirect(target, code=dossier.code)
        else:
            status = 400
    else:
        initial = {} if walk_in else FilingForm.initial_for(request.user)
        form = FilingForm(initial=initial, **form_kwargs)
    context = {
        "form": form,
        "version": version,
        # What the applicant will pay and wait, from the channel the dossier is filed through.
        "channel": deadlines.channel_for(
            version, FilingChannel.DIRECT if walk_in else FilingChannel.ONLINE
        ),
        "walk_in": walk_in,
        "max_file_mb": max_file_bytes() // (1024 * 1024),
    }
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def citizen_new(request: HttpRequest, procedure_code: str) -> HttpResponse:
    version = _published_version(procedure_code)
    if not version.accepts_online_filing:
        return render(request, "dossiers/not_online.html", {"version": version})
    return _file(request, version, walk_in=False)


@desk_required
@require_http_methods(["GET", "HEAD", "POST"])
def desk_new(request: HttpRequest, procedure_code: str) -> HttpResponse:
    version = _published_version(procedure_code)
    return _file(request, version, walk_in=True)


@desk_required
@require_safe
def desk_pick(request: HttpRequest) -> HttpResponse:
    """Pick the procedure of a walk-in dossier: search by name or code."""
    base = queries.public_versions(request.user)
    query = request.GET.get("q", "")
    filterset = ProcedureFilter({"q": query}, queryset=base)
    valid = filterset.is_valid()
    page = None
    if valid and query.strip():
        results = queries.listing(filterset.qs)
        page = Paginator(results, PICKER_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": filterset.form,
        "page": page,
        "page_query": urlencode({"q": query}) if valid else "",
    }
    return render(request, "dossiers/desk/pick.html", context, status=200 if valid else 400)
