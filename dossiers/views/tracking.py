"""Public tracking page ``/track/``: code plus the applicant's phone number, no login.

The lookup itself is ``tracking.track`` (public facts only; a wrong phone is indistinguishable
from an unknown code). Lookups are rate-limited per client IP through the cache: the rate is
``TRACK_PAGE_RATE`` if set, else the API's ``track`` throttle rate (default 30/min).
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dossiers.errors import NotFound
from dossiers.forms import TrackForm
from dossiers.models import Dossier
from dossiers.panels import panels_for
from dossiers.tracking import track
from dossiers.views.common import valid_code

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def lookup_rate() -> tuple[int, int]:
    """(lookups, seconds) from a DRF-style rate such as ``30/min``."""
    rate = getattr(settings, "TRACK_PAGE_RATE", None) or (
        getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {}).get("track")
    )
    try:
        number, period = str(rate or "30/min").split("/", 1)
        return max(int(number), 1), PERIODS[period.strip()[:1]]
    except (ValueError, KeyError):
        return 30, 60


def client_ip(request: HttpRequest) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is set by the client unless a trusted proxy rewrites it
    # (deployments behind a proxy set REMOTE_ADDR from it in the proxy/WSGI layer).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def over_limit(request: HttpRequest) -> tuple[bool, int]:
    """Count one lookup for the client; True when it exceeds the rate (fixed window)."""
    limit, seconds = lookup_rate()
    window = int(time.time() // seconds)
    key = f"track-page:{client_ip(request)}:{window}"
    cache.add(key, 0, timeout=seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds + 1)
        count = 1
    retry_after = seconds - int(time.time()) % seconds
    # A cache outage (count None) must not lock the public out.
    return (count is not None and count > limit), retry_after


@require_http_methods(["GET", "HEAD", "POST"])
def track_page(request: HttpRequest) -> HttpResponse:
    result, not_found, status = None, False, 200
    if request.method == "POST":
        limited, retry_after = over_limit(request)
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
