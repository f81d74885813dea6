"""Every API error is JSON: ``{"detail": ...}`` or field errors, never an HTML page."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


def json_exception_handler(exc, context) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DataError):
        # e.g. a NUL byte or an out-of-range number reaching the database from a query string.
        exc = exceptions.ValidationError({"detail": _("Dữ liệu không hợp lệ.")})
    return exception_handler(exc, context)


def api_not_found(request, exception=None) -> JsonResponse:
    return JsonResponse({"detail": _("Không tìm thấy.")}, status=status.HTTP_404_NOT_FOUND)


def api_server_error(request) -> JsonResponse:
    return JsonResponse(
        {"detail": _("Lỗi hệ thống, vui lòng thử lại sau.")},
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
