"""Driving the sandbox carrier: move parcels along and report each move to our own webhook,
signed exactly as a real carrier would (``postal.signing``).

``advance(shipment, to=None, send=...)`` is used by the ``advance_shipments`` command and the
admin action with an HTTP sender (``http_sender``); tests pass a sender that posts through the
Django test client, so the same bytes and signature go through the same view.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from dossiers.errors import InvalidState
from portal.webhooks import Sender, json_poster
from postal import signing
from postal.carriers import CarrierError, get_carrier
from postal.carriers.base import StatusReport
from postal.carriers.sandbox import SandboxCarrier
from postal.models import Shipment


@dataclass(frozen=True)
class Sent:
    status: str
    http_status: int
    response: str


def event_body(report: StatusReport) -> bytes:
    return json.dumps(
        {
            "event_id": f"sbx-{uuid.uuid4().hex}",
            "waybill": report.waybill,
            "status": report.status,
            "occurred_at": report.occurred_at.isoformat(),
            "note": report.note,
        },
        ensure_ascii=False,
    ).encode("utf-8")


def default_url() -> str:
    return getattr(
        settings, "POSTAL_SANDBOX_WEBHOOK_URL", "http://127.0.0.1:8000/api/v1/postal/events/"
    )


def http_sender(url: str | None = None, timeout: float | None = None) -> Sender:
    """POST to ``url`` (default ``POSTAL_SANDBOX_WEBHOOK_URL``) with a timeout."""
    seconds = timeout or float(getattr(settings, "POSTAL_CARRIER_TIMEOUT", 10))
    return json_poster(url or default_url(), timeout=seconds, error=CarrierError)


def advance(
    shipment: Shipment, to: str | None = None, *, send: Sender | None = None, note: str = ""
) -> list[Sent]:
    """Move a sandbox shipment one step (or through to ``to``), reporting every step."""
    carrier = get_carrier(shipment.carrier)
    if not isinstance(carrier, SandboxCarrier):
        raise InvalidState(_("Chỉ bưu gửi của bưu chính thử nghiệm (sandbox) mới chuyển tay được."))
    if not shipment.waybill:
        raise InvalidState(_("Bưu gửi chưa có số vận đơn."))
    send = send or http_sender()
    reports = carrier.advance(shipment.waybill, to, note=note)
    if not reports:
        # Nothing left to do at the post office, but our side may have missed the reports
        # (the portal was down): a carrier re-sends its latest status.
        current = carrier.fetch_status(shipment.waybill)
        if current.status != shipment.status:
            reports = [current]
    results = []
    for report in reports:
        body = event_body(report)
        status, text = send(body, signing.signed_headers(body))
        results.append(Sent(report.status, status, text))
    return results
