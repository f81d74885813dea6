"""Public tracking page ``/track/``: code plus the applicant's phone number, no login.

The lookup itself is ``tracking.track`` (public facts only; a wrong phone is indistinguishable
from an unknown code). Lookups are rate-limited per client IP (``tracking.over_limit``, one
budget shared with the API).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dossiers.errors import NotFound
from dossiers.forms import TrackForm
from dossiers.models import Dossier
from dossiers.panels import panels_for
from dossiers.tracking import over_limit, track
from dossiers.views.common import valid_code


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it
    # (deployments behind a proxy set REMOTE_ADDR from it in the proxy/WSGI layer).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


@require_http_methods(["GET", "HEAD", "POST"])
def track_page(request: HttpRequest) -> HttpResponse:
    result, not_found, status = None, False, 200
    if request.method == "POST":
        limited, retry_after = over_limit(client_ip(request))
        if limited:
            response = render(request, "dossiers/track_limited.html", status=429)
            response["Retry-After"] = str(retry_after)
            return response
        form = TrackForm(request.POST)
        if form.is_valid():
            try:
                result = track(form.cleaned_data["code"], form.cleaned_data["phone"])
            except NotFound:
                not_found, status = True, 404
        else:
            status = 400
    else:
        code = request.GET.get("code", "").strip()
        form = TrackForm(initial={"code": code} if valid_code(code) else {})
    panels = []
    if result is not None:
        dossier = Dossier.objects.filter(code=result["code"]).first()
        panels = panels_for(request, dossier, "public") if dossier else []
    context = {"form": form, "result": result, "not_found": not_found, "panels": panels}
    return render(request, "dossiers/track.html", context, status=status)
