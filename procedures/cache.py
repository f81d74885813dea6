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
    value = cache.get(GENERATION_KEY)
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
    transaction.on_commit(bump_generation)


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
