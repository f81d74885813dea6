"""Export-my-data: a signed-in person downloads, as JSON, what the portal holds about them.

The portal core knows only the account and the citizen profile. Every app contributes its
part through ``settings.MY_DATA_EXPORTERS``: dotted paths of callables ``f(user) -> dict``
whose keys become top-level sections of the document (like HOME_SECTIONS, so the portal never
imports the apps). An exporter returns only the caller's own data and only fields the person
may see about themselves: no officials' internal notes, no storage paths.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal.models import CitizenProfile, User

FORMAT_VERSION = 1


@cache
def _exporters() -> list:
    return [import_string(path) for path in getattr(settings, "MY_DATA_EXPORTERS", [])]


def profile_of(user: User) -> dict[str, Any]:
    """The account and the citizen profile (no password hash, no permissions)."""
    profile = CitizenProfile.objects.select_related("unit").filter(user=user).first()
    return {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "date_joined": user.date_joined,
        "last_login": user.last_login,
        "citizen_profile": None
        if profile is None
        else {
            "phone": profile.phone,
            "citizen_id": profile.citizen_id,
            "address": profile.address,
            "unit": profile.unit.name if profile.unit_id else None,
        },
    }


def my_data(user: User) -> dict[str, Any]:
    """The whole document: the profile, then each app's sections in settings order."""
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "generated_at": timezone.now(),
        "profile": profile_of(user),
    }
    for exporter in _exporters():
        for key, value in exporter(user).items():
            if key in document:
                raise ValueError(f"MY_DATA_EXPORTERS: section {key!r} exported twice")
            document[key] = value
    return document


@never_cache
@login_required
@require_safe
def my_data_view(request: HttpRequest) -> HttpResponse:
    body = json.dumps(my_data(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="du-lieu-ca-nhan-{stamp}.json"'
    return response
