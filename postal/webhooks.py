"""The carrier's status webhook, ``POST /api/v1/postal/events/`` (interfaces.md).

Order of checks, each answering with a reason and storing nothing when it refuses:
size (413) → signature and timestamp over the raw body (401, plus a ``postal.security`` log
line) → JSON shape (400) → unknown waybill (404). A replayed ``event_id`` answers 200 and
changes nothing; an older status is recorded but never moves the shipment backwards. An
unexpected failure answers 503 so the carrier retries (replays are harmless), never 500.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from dossiers.errors import NotFound
from postal import signing
from postal.models import CARRIER_STATUSES, EventSource
from postal.tracking import apply_report

security_log = logging.getLogger("postal.security")
logger = logging.getLogger(__name__)

DEV_SECRET = "dev-postal-secret"  # noqa: S105 - the development value, refused in production


def max_bytes() -> int:
    return int(getattr(settings, "POSTAL_WEBHOOK_MAX_BYTES", 65_536))


@dataclass
class Answer:
    status: int
    body: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Report:
    event_id: str
    waybill: str
    status: str
    occurred_at: datetime.datetime
    note: str


def _refuse_unsigned(reason: str, body: bytes, remote: str) -> Answer:
    security_log.warning(
        "postal webhook refused (%s) from %s: %d bytes, body sha256 %s",
        reason,
        remote or "?",
        len(body),
        hashlib.sha256(body).hexdigest(),
    )
    messages = {
        "missing": _("Thiếu chữ ký hoặc dấu thời gian của yêu cầu."),
        "bad_timestamp": _("Dấu thời gian không hợp lệ."),
        "stale": _("Dấu thời gian lệch quá 5 phút: yêu cầu bị từ chối."),
        "bad_signature": _("Chữ ký không hợp lệ."),
    }
    return Answer(401, {"detail": messages.get(reason, messages["bad_signature"])})


def _text(data: Mapping, key: str, *, max_length: int, required: bool, errors: dict) -> str:
    raw = data.get(key, "")
    if raw is None:
        raw = ""
    if not isinstance(raw, str):
        errors[key] = [_("Phải là chuỗi ký tự.")]
        return ""
    value = unicodedata.normalize("NFC", raw).strip()
    if "\x00" in value:
        errors[key] = [_("Dữ liệu không hợp lệ.")]
    elif required and not value:
        errors[key] = [_("Trường này là bắt buộc.")]
    elif len(value) > max_length:
        errors[key] = [_("Tối đa %(n)s ký tự.") % {"n": max_length}]
    return value


def parse(body: bytes) -> Report | dict:
    """The report in ``body``, or field errors (a dict) saying what is wrong."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"detail": _("Nội dung không phải JSON hợp lệ (UTF-8).")}
    if not isinstance(data, dict):
        return {"detail": _("Nội dung phải là một đối tượng JSON.")}
    errors: dict[str, list[str]] = {}
    event_id = _text(data, "event_id", max_length=100, required=True, errors=errors)
    waybill = _text(data, "waybill", max_length=40, required=True, errors=errors)
    status = _text(data, "status", max_length=20, required=True, errors=errors)
    note = _text(data, "note", max_length=500, required=False, errors=errors)
    if status and "status" not in errors and status not in CARRIER_STATUSES:
        errors["status"] = [
            _("Trạng thái không hợp lệ; dùng một trong: %(values)s.")
            % {"values": ", ".join(sorted(CARRIER_STATUSES))}
        ]
    raw_time = data.get("occurred_at")
    occurred_at = None
    if isinstance(raw_time, str) and "\x00" not in raw_time and len(raw_time) <= 40:
        try:
            occurred_at = parse_datetime(raw_time.strip())
        except ValueError:
            occurred_at = None
    if occurred_at is None:
        errors["occurred_at"] = [
            _("Thời điểm phải theo ISO 8601, ví dụ 2025-03-03T08:00:00+07:00.")
        ]
    elif timezone.is_naive(occurred_at):
        errors["occurred_at"] = [_("Thời điểm phải có múi giờ (ví dụ +07:00).")]
        occurred_at = None
    elif occurred_at > timezone.now() + datetime.timedelta(seconds=signing.tolerance_seconds()):
        errors["occurred_at"] = [_("Thời điểm ở tương lai.")]
    if errors:
        return errors
    return Report(event_id, waybill, status, occurred_at, note)


def secret_configured() -> bool:
    """An empty secret is always refused; outside DEBUG and tests the development one too."""
    secret = str(settings.POSTAL_WEBHOOK_SECRET or "")
    production = not settings.DEBUG and not getattr(settings, "TESTING", False)
    return bool(secret) and not (production and secret == DEV_SECRET)


def too_large() -> Answer:
    return Answer(413, {"detail": _("Nội dung quá lớn.")})


def handle(body: bytes, headers: Mapping, *, remote: str = "", length: int | None = None) -> Answer:
    """Process one webhook call; ``headers`` maps header names to values."""
    if length is not None and length > max_bytes():
        return too_large()
    if not secret_configured():
        logger.error("POSTAL_WEBHOOK_SECRET is not set: postal webhooks are refused.")
        return Answer(503, {"detail": _("Cổng chưa cấu hình khóa bí mật cho bưu chính.")})
    if len(body) > max_bytes():
        return too_large()
    try:
        signing.verify(
            headers.get(signing.TIMESTAMP_HEADER), headers.get(signing.SIGNATURE_HEADER), body
        )
    except signing.SignatureError as exc:
        return _refuse_unsigned(exc.reason, body, remote)
    report = parse(body)
    if isinstance(report, dict):
        return Answer(400, report)
    try:
        outcome, shipment = apply_report(
            waybill=report.waybill,
            status=report.status,
            occurred_at=report.occurred_at,
            event_id=report.event_id,
            note=report.note,
            source=EventSource.WEBHOOK,
        )
    except NotFound as exc:
        return Answer(404, {"detail": exc.message})
    except Exception:  # the carrier retries a 503; a replay is harmless
        logger.exception("postal webhook failed for event %s", report.event_id)
        return Answer(503, {"detail": _("Tạm thời chưa xử lý được, vui lòng gửi lại sau.")})
    body_out = {"result": str(outcome), "event_id": report.event_id}
    if shipment is not None:
        body_out["status"] = shipment.status
    return Answer(200, body_out)
