"""Caching of the public catalog (pages and API), invalidated by a *generation* number.

Publishing, withdrawing or importing bumps the generation (on commit). A cached answer is
stored with the generation it was rendered under and served only while that is still the
current one, so a bump makes every older answer stale at once. The generation starts from the
clock, so a cache that lost the key never revives stale answers.

Two layers, because a network round trip costs more than the rest of a cached request:

* the shared cache (Redis in production): one ``MGET`` per request fetches the generation and
  the answer together;
* a small per-process memory (``CATALOG_LOCAL_CACHE_SECONDS``, default 1 s, 0 in tests) that
  re-reads the generation at most once per interval. Another process's publish therefore shows
  up here within that interval; a publish in this process at once.

Filing reads the published version of a procedure (with its documents, channels, receiving
agencies and implementing agency) from ``filing_version``: a per-process copy checked against
the shared generation on every call (one Redis ``GET``, no 1-second grace), so a publish or a
withdrawal committed anywhere is seen by the next filing everywhere. The copy is also dropped
at once in the process that changes the catalog (before its commit: a test's transaction never
commits) and whenever a catalog row or an agency is saved through the ORM (``connect_signals``).

Pages are cached for anonymous visitors only (a signed-in user sees their name in the header).
A page carries a CSRF token (the language switch is a POST form), so it is rendered with a
placeholder and each visitor gets their own token substituted when the page is served.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

from portal import generations

GENERATION_KEY = "procedures:catalog:generation"
CSRF_PLACEHOLDER = "__CATALOG_CSRF_PLACEHOLDER__"
LOCAL_MAX_ENTRIES = 256

_local: dict[str, Any] = {"generation": None, "checked": 0.0, "entries": {}}


def page_timeout() -> int:
    return getattr(settings, "CATALOG_CACHE_SECONDS", 300)


def _local_seconds() -> float:
    return getattr(settings, "CATALOG_LOCAL_CACHE_SECONDS", 0)


def _remember_generation(value: int) -> None:
    if value != _local["generation"]:
        _local["entries"] = {}
    _local["generation"] = value
    _local["checked"] = time.monotonic()


def generation() -> int:
    """The current catalog generation (from the shared cache, created when missing)."""
    value = generations.read(GENERATION_KEY)
    if value is None:
        value = time.time_ns() // 1000
        if not cache.add(GENERATION_KEY, value, None):
            value = cache.get(GENERATION_KEY, value)
    _remember_generation(int(value))
    return int(value)


def bump_generation() -> None:
    """Make every cached catalog page and API answer stale."""
    try:
        value = cache.incr(GENERATION_KEY)
    except ValueError:
        value = time.time_ns() // 1000
        cache.set(GENERATION_KEY, value, None)
    _remember_generation(int(value))


def invalidate_on_commit() -> None:
    """Called by every catalog change (publish, withdraw, import): this process forgets its
    filing copies now, every process when the generation is bumped on commit."""
    forget_versions()
    transaction.on_commit(bump_generation)


# --- the published version as filing needs it ----------------------------------------------

#: procedure code -> (generation, version with its relations loaded); see the module docstring.
_versions: dict[str, tuple[int, Any]] = {}


def _load_published(code: str):
    from procedures.models import ProcedureVersion

    return (
        ProcedureVersion.objects.published()
        .select_related("procedure", "implementing_agency__unit")
        .prefetch_related("documents", "channels", "receiving_agencies")
        .filter(procedure__code=code)
        .first()
    )


def filing_version(code: str):
    """The published version of procedure ``code`` (None when there is none), its procedure,
    implementing agency and unit, documents, channels and receiving agencies loaded. Shared by
    the requests of this process: callers must not modify it. Four queries on a miss, none on
    a hit; a hit is only served while the catalog generation is the one it was loaded under
    (read before loading, so a copy is never newer-looking than its data)."""
    current = generation()
    entry = _versions.get(code)
    if entry is not None and entry[0] == current:
        return entry[1]
    version = _load_published(code)
    if version is not None:
        if len(_versions) >= LOCAL_MAX_ENTRIES:
            _versions.clear()
        _versions[code] = (current, version)
    return version


def forget_versions(**kwargs) -> None:
    """Drop this process's filing copies (a signal receiver as well)."""
    _versions.clear()


def _catalog_row_changed(action: str | None = None, **kwargs) -> None:
    """A catalog row or an agency saved or deleted outside the services (admin, shell, tests):
    forget the copies here now and everywhere on commit."""
    if action is None or action.startswith("post_"):  # m2m_changed: once per change
        invalidate_on_commit()


def connect_signals() -> None:
    """Rows a filing copy carries: versions, their documents, channels and receiving agencies,
    procedures and agencies (``ProceduresConfig.ready``)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from portal.models import Agency
    from procedures.models import Channel, Procedure, ProcedureVersion, RequiredDocument

    for model in (Procedure, ProcedureVersion, RequiredDocument, Channel, Agency):
        for signal in (post_save, post_delete):
            signal.connect(
                _catalog_row_changed,
                sender=model,
                dispatch_uid=f"procedures.cache.{model.__name__}.{signal is post_save}",
            )
    m2m_changed.connect(
        _catalog_row_changed,
        sender=ProcedureVersion.receiving_agencies.through,
        dispatch_uid="procedures.cache.receiving_agencies",
    )


def cache_key(kind: str, request: HttpRequest, *extra: str) -> str:
    # Host and scheme matter (the API's pagination links are absolute); the raw Host header is
    # enough for a key: an invalid host never gets a 200 to cache.
    location = f"{request.scheme}://{request.META.get('HTTP_HOST', '')}{request.get_full_path()}"
    raw = "|".join([location, get_language() or "", *extra])
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    return f"procedures:{kind}:{digest}"


def fetch(key: str) -> Any | None:
    """The cached value of ``key`` if it belongs to the current generation."""
    seconds = _local_seconds()
    fresh = time.monotonic() - _local["checked"] < seconds
    if fresh and key in _local["entries"]:
        return _local["entries"][key]
    if fresh and _local["generation"] is not None:
        current, entry = _local["generation"], cache.get(key)
    else:
        found = cache.get_many([GENERATION_KEY, key])
        if found.get(GENERATION_KEY) is None:
            current, entry = generation(), None
        else:
            current, entry = int(found[GENERATION_KEY]), found.get(key)
            _remember_generation(current)
    if not entry or entry[0] != current:
        return None
    if seconds:
        _keep_local(key, entry[1])
    return entry[1]


def store(key: str, value: Any) -> None:
    current = _local["generation"] if _local["generation"] is not None else generation()
    cache.set(key, (current, value), page_timeout())
    if _local_seconds():
        _keep_local(key, value)


def _keep_local(key: str, value: Any) -> None:
    entries = _local["entries"]
    if len(entries) >= LOCAL_MAX_ENTRIES:
        entries.clear()
    entries[key] = value


def forget_local() -> None:
    """Drop this process's memory layer (tests; the shared cache is untouched)."""
    _local.update(generation=None, checked=0.0, entries={})
    forget_versions()


def _cacheable_visitor(request: HttpRequest) -> bool:
    if request.method not in ("GET", "HEAD") or "messages" in request.COOKIES:
        return False
    # Without a session cookie nobody is signed in: skip loading the session.
    return settings.SESSION_COOKIE_NAME not in request.COOKIES or not request.user.is_authenticated


def wants_placeholder(request: HttpRequest) -> bool:
    return getattr(request, "_catalog_cacheable", False)


def cache_public_page(view: Callable) -> Callable:
    """Serve anonymous GETs of ``view`` from the cache (views render with ``page_context``)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable_visitor(request):
            return view(request, *args, **kwargs)
        key = cache_key("page", request)
        entry = fetch(key)
        if entry is None:
            request._catalog_cacheable = True
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming or response.cookies:
                return _with_token(request, response)
            entry = (response.content, response["Content-Type"])
            store(key, entry)
        content, content_type = entry
        response = HttpResponse(content, content_type=content_type)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return _with_token(request, response)

    return wrapper


def _with_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
        response.content = response.content.replace(
            CSRF_PLACEHOLDER.encode(), get_token(request).encode()
        )
    return response


def page_context(request: HttpRequest, context: dict) -> dict:
    """Add the CSRF placeholder to a template context when the page will be cached."""
    if wants_placeholder(request):
        context["csrf_token"] = CSRF_PLACEHOLDER
    return context
