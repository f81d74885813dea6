"""Desk pages of the postal app: the daily manifest (page and PDF) and handling alerts."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dossiers.errors import NotFound, ValidationError
from postal import manifest as manifests
from postal.alerts import resolve_alert
from postal.pdf import render_pdf


def _manifest_or_error(request):
    try:
        day = manifests.parse_day(request.GET.get("date"), timezone.localdate())
    except ValidationError as exc:
        return None, HttpResponseBadRequest(
            render_to_string(
                "postal/manifest_error.html",
                {"error": exc.message_dict["date"][0]},
                request=request,
            )
        )
    try:
        return manifests.build(request.user, day, request.GET.get("agency")), None
    except NotFound as exc:
        raise Http404(exc.message) from exc


@login_required
@require_GET
def manifest(request):
    data, error = _manifest_or_error(request)
    if error is not None:
        return error
    return render(request, "postal/manifest.html", {"manifest": data})


@login_required
@require_GET
def manifest_pdf(request):
    data, error = _manifest_or_error(request)
    if error is not None:
        return error
    html = render_to_string("postal/manifest_pdf.html", {"manifest": data}, request=request)
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="bang-ke-buu-chinh-{data.day}.pdf"'
    return response


@login_required
@require_POST
def resolve(request, alert_id: int):
    try:
        resolve_alert(alert_id, request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, _("Đã đánh dấu cảnh báo là đã xử lý."))
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("postal-manifest")
    return redirect(target)
