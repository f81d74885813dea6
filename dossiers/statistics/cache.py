"""Caching of the public statistics (page, exports, API, home headline).

Answers are cached per URL and language for ``STATS_CACHE_SECONDS`` (default 60): the figures
move with every transition, and a minute of delay is harmless for a published report while it
keeps a busy office day from turning every read into a recomputation. When an answer goes
stale one request recomputes it while the others are served the previous copy. What changes
figures in bulk — a rebuild, a stock snapshot, a catalog publication — bumps a generation that
is part of every key, so those show at once.

Pages are cached for anonymous visitors only; the language form's CSRF token is rendered as a
placeholder and replaced per visitor when the page is served.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language

GENERATION_KEY = "stats:generation"
CSRF_PLACEHOLDER = "__STATS_CSRF_PLACEHOLDER__"


def timeout() -> int:
    return int(getattr(settings, "STATS_CACHE_SECONDS", 60))


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = time.time_ns() // 1000
        if not cache.add(GENERATION_KEY, value, None):
            value = cache.get(GENERATION_KEY, value)
    return int(value)


def bump_generation() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, time.time_ns() // 1000, None)


def catalog_generation() -> int:
    """The catalog's own generation (publishing changes the catalog figures)."""
    try:
        from procedures.cache import generation as procedures_generation
    except ImportError:  # pragma: no cover - the catalog cache is optional
        return 0
    return procedures_generation()


def _catalog_key() -> str | None:
    try:
        from procedures.cache import GENERATION_KEY as catalog_key
    except ImportError:  # pragma: no cover - the catalog cache is optional
        return None
    return catalog_key


def key(kind: str, request: HttpRequest) -> str:
    """The key of an answer (URL and language); generations are checked in ``serve``."""
    raw = "|".join([request.get_full_path(), get_language() or ""])
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
    return f"stats:{kind}:{digest}"


def cached(kind: str, compute: Callable[[], object]) -> object:
    """A value shared by every visitor (e.g. the home headline), keyed by ``kind``."""
    full = f"stats:{kind}:{generation()}:{catalog_generation()}:{get_language()}"
    value = cache.get(full)
    if value is None:
        value = compute()
        if timeout() > 0:
            cache.set(full, value, timeout())
    return value


def _cacheable(request: HttpRequest) -> bool:
    return (
        timeout() > 0
        and request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and "messages" not in request.COOKIES
    )


#: Entries outlive their freshness so that, when one goes stale, a single request recomputes
#: it while the others keep being served the previous copy (no stampede of recomputations).
STALE_FACTOR = 10
LOCK_SECONDS = 30


def serve(
    page_key: str, build: Callable[[], tuple[bytes, dict] | None]
) -> tuple[bytes, dict] | None:
    """The cached (content, headers) of ``page_key``, rebuilt by ``build`` when missing, stale
    or of an older generation — by one request at a time, the others getting the previous copy
    meanwhile; ``build`` returns None for answers not to cache. One cache round trip per hit
    (the generations and the entry in one ``get_many``)."""
    now = time.time()
    catalog_key = _catalog_key()
    found = cache.get_many([GENERATION_KEY, page_key, *([catalog_key] if catalog_key else [])])
    stats_now = found.get(GENERATION_KEY)
    catalog_now = found.get(catalog_key) if catalog_key else 0
    current = (
        int(stats_now) if stats_now is not None else generation(),
        int(catalog_now) if catalog_now is not None else catalog_generation(),
    )
    entry = found.get(page_key)
    lock = f"{page_key}:lock"
    if entry is not None:
        content, headers, fresh_until, generations = entry
        fresh = now < fresh_until and tuple(generations) == current
        if fresh or not cache.add(lock, 1, LOCK_SECONDS):
            return content, headers
    built = build()
    if built is not None:
        seconds = timeout()
        cache.set(page_key, (*built, now + seconds, current), seconds * STALE_FACTOR)
        cache.delete(lock)
    return built


def cache_public_page(view: Callable) -> Callable:
    """Serve anonymous GETs of ``view`` (page and its exports) from the cache."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _cacheable(request):
            return view(request, *args, **kwargs)
        uncached: list[HttpResponse] = []

        def build() -> tuple[bytes, dict] | None:
            request._stats_placeholder = True
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming or response.cookies:
                uncached.append(response)
                return None
            headers = {
                name: response[name]
                for name in ("Content-Type", "Content-Disposition")
                if name in response
            }
            return response.content, headers

        entry = serve(key("page", request), build)
        if entry is None:
            return _with_token(request, uncached[0])
        content, headers = entry
        response = HttpResponse(content)
        for name, value in headers.items():
            response[name] = value
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return _with_token(request, response)

    return wrapper


def _with_token(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if (
        not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and CSRF_PLACEHOLDER.encode() in response.content
    ):
        response.content = response.content.replace(
            CSRF_PLACEHOLDER.encode(), get_token(request).encode()
        )
    return response


def page_context(request: HttpRequest, context: dict) -> dict:
    if getattr(request, "_stats_placeholder", False):
        context["csrf_token"] = CSRF_PLACEHOLDER
    return context
