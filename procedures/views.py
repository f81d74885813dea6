"""Public catalog pages: the searchable list, the full record, form and result templates."""

from __future__ import annotations

import mimetypes
import posixpath

from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from procedures import queries
from procedures.cache import cache_public_page, page_context
from procedures.filters import ProcedureFilter
from procedures.models import ServiceLevel

PAGE_SIZE = 20


@require_safe
@cache_public_page
def catalog(request: HttpRequest) -> HttpResponse:
    base = queries.public_versions(request.user)
    filterset = ProcedureFilter(request.GET, queryset=base)
    valid = filterset.is_valid()
    results = queries.listing(filterset.qs if valid else base.none())
    page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
    facets = queries.facets(request.GET, base) if valid else {}
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "facets": facets,
        "level_counts": facets.get("gov_level", []),
        "query": request.GET.get("q", "") if valid else "",
        "active_filters": any(request.GET.get(k) for k in queries.FACETS + ("q", "online")),
    }
    status = 200 if valid else 400
    return render(request, "procedures/catalog.html", page_context(request, context), status=status)


@require_safe
@cache_public_page
def detail(request: HttpRequest, code: str) -> HttpResponse:
    version = queries.published_by_code(request.user, code)
    if version is None:
        withdrawn = queries.withdrawn_by_code(code)
        if withdrawn is None:
            raise Http404
        context = {"version": withdrawn}
        return render(
            request, "procedures/withdrawn.html", page_context(request, context), status=410
        )
    channels = list(version.channels.all())
    documents = list(version.documents.all())
    context = {
        "version": version,
        "channels": channels,
        "document_groups": queries.documents_by_case(version),
        "document_count": len(documents),
        "service_level_2011": ServiceLevel(version.service_level).label,
        "online_scope": version.online_scope,
        "filing_url": f"/dossiers/new/{version.procedure.code}/"
        if version.accepts_online_filing
        else "",
    }
    return render(request, "procedures/detail.html", page_context(request, context))


def _download(name: str) -> FileResponse:
    if not name or not default_storage.exists(name):
        raise Http404
    filename = posixpath.basename(name)
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def form_template(request: HttpRequest, code: str, document: str) -> FileResponse:
    """The blank form (mẫu đơn, tờ khai) of one required document of the published version."""
    version = queries.published_by_code(request.user, code)
    if version is None:
        raise Http404
    match = next((d for d in version.documents.all() if d.code == document), None)
    if match is None:
        raise Http404
    return _download(match.form_template.name)


@require_safe
def result_template(request: HttpRequest, code: str) -> FileResponse:
    version = queries.published_by_code(request.user, code)
    if version is None:
        raise Http404
    return _download(version.result_template.name)
