"""Central guards that no single app owns (docs/security.md).

``RequestSizeLimitMiddleware`` refuses a body larger than ``REQUEST_MAX_BYTES`` from its
Content-Length header, before anything reads it: Django caps form fields
(DATA_UPLOAD_MAX_MEMORY_SIZE) but streams file uploads to disk whatever their size, so without
this a multi-gigabyte upload would fill the temporary directory before a view could say 413.

``failure_response`` turns the failures of the services underneath into a clear answer
instead of a traceback: the database unreachable (restart, failover) and the storage full
both answer 503 with a Vietnamese reason and ``Retry-After``, as JSON under /api/ and as a
small page elsewhere. The page touches neither the database nor the session, since either may
be what failed. ``portal.views.server_error`` (handler500) calls it.
"""

from __future__ import annotations

import errno
import json

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.utils.translation import gettext as _

#: OSError numbers that mean "no room left": the device or the user's quota is full.
STORAGE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
RETRY_AFTER_SECONDS = 30


def request_max_bytes() -> int:
    """The largest body accepted: every upload limit of the portal plus room for the fields."""
    configured = getattr(settings, "REQUEST_MAX_BYTES", None)
    if configured:
        return int(configured)
    uploads = max(
        int(getattr(settings, "DOSSIER_ATTACHMENTS_MAX_BYTES", 0)),
        int(getattr(settings, "ATTACHMENT_MAX_BYTES", 0)),
        int(getattr(settings, "SIGNATURES_VERIFY_MAX_BYTES", 0)),
    )
    return uploads + int(getattr(settings, "DATA_UPLOAD_MAX_MEMORY_SIZE", 0) or 0) + 1024 * 1024


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(
    request: HttpRequest, status: int, message: str, title: str, code: str = ""
) -> HttpResponse:
    """A minimal answer that needs nothing but this process: JSON for the API (``detail`` and a
    machine-readable ``code``), else a small HTML page."""
    if _is_api(request):
        body = {"detail": message, "code": code} if code else {"detail": message}
        return HttpResponse(
            json.dumps(body, ensure_ascii=False),
            status=status,
            content_type="application/json; charset=utf-8",
        )
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    page = (
        f'<!DOCTYPE html><html lang="{escape(language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title>"
        f'<link rel="stylesheet" href="{escape(settings.STATIC_URL)}css/portal.css"></head>'
        '<body><main id="main" class="container"><section class="card narrow">'
        f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
        f'<p><a href="/">{escape(_("Về trang chủ"))}</a></p></section></main></body></html>'
    )
    return HttpResponse(page, status=status, content_type="text/html; charset=utf-8")


class RequestSizeLimitMiddleware:
    """413 for a declared body above ``request_max_bytes()`` (place it first)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = request_max_bytes()
        if length > limit:
            message = _("Dữ liệu gửi lên quá lớn (tối đa %(mb)s MB).") % {
                "mb": limit // (1024 * 1024)
            }
            response = error_response(request, 413, message, _("Dữ liệu quá lớn"), "too_large")
            # The body is not read: the connection cannot be reused for another request.
            response["Connection"] = "close"
            return response
        return self.get_response(request)


def _storage_full(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in STORAGE_FULL:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _database_down(exc: BaseException | None) -> bool:
    """Connection-level failures only: a bad query (ProgrammingError, IntegrityError) is a bug
    to be reported as one, not an outage."""
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DatabaseError) and "connection" in str(exc).lower()
    )


def failure_response(request: HttpRequest, exc: BaseException | None) -> HttpResponse | None:
    """503 for an outage of the database or the storage, None for anything else."""
    if _database_down(exc):
        message = _(
            "Hệ thống đang tạm gián đoạn kết nối cơ sở dữ liệu. Vui lòng thử lại sau ít phút."
        )
    elif _storage_full(exc):
        message = _(
            "Hệ thống lưu trữ tệp tạm thời đầy nên chưa lưu được hồ sơ của bạn; "
            "chưa có dữ liệu nào được ghi nhận. Vui lòng thử lại sau."
        )
    else:
        return None
    response = error_response(
        request, 503, message, _("Dịch vụ tạm thời gián đoạn"), "service_unavailable"
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def lockout_minutes() -> int:
    hours = getattr(settings, "AXES_COOLOFF_TIME", 0.25) or 0.25
    return max(1, round(float(hours) * 60))


def lockout_response(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login (AXES_LOCKOUT_CALLABLE), for pages and API
    alike: 429 with the Vietnamese reason and when to try again."""
    from django.shortcuts import render

    minutes = lockout_minutes()
    message = _(
        "Tài khoản tạm thời bị khoá do nhập sai mật khẩu quá nhiều lần. "
        "Vui lòng thử lại sau %(minutes)s phút."
    ) % {"minutes": minutes}
    if _is_api(request):
        response = error_response(request, 429, message, message, "locked_out")
    else:
        template = getattr(settings, "AXES_LOCKOUT_TEMPLATE", "registration/locked_out.html")
        response = render(request, template, {"minutes": minutes}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
