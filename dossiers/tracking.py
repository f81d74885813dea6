"""Public tracking by code plus the applicant's phone number (no login).

Only public facts come out: status, dates and the steps (time, step, agency) — no officials'
names, no notes. A wrong phone number is indistinguishable from an unknown code."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass

from dossiers.errors import NotFound
from dossiers.models import Dossier, DossierEvent, Status


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"[\s.\-()]", "", phone or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


@dataclass(frozen=True)
class TrackStep:
    at: object
    step: str
    status: int
    status_label: str
    agency: str | None


def track(code: str, phone: str) -> dict:
    """The public view of one dossier, or NotFound (unknown code or wrong phone alike)."""
    code = (code or "").strip()
    wanted = normalize_phone(phone)
    if not code or not wanted or "\x00" in code or "\x00" in wanted:
        raise NotFound()
    dossier = (
        Dossier.objects.select_related("procedure", "procedure_version").filter(code=code).first()
    )
    actual = normalize_phone(dossier.applicant_phone) if dossier is not None else "-"
    if dossier is None or not hmac.compare_digest(actual.encode(), wanted.encode()):
        raise NotFound()
    events = (
        DossierEvent.objects.public()
        .filter(dossier=dossier)
        .select_related("to_agency")
        .order_by("at", "id")
    )
    steps = [
        TrackStep(
            at=event.at,
            step=event.action_label,
            status=event.to_status,
            status_label=str(Status(event.to_status).label),
            agency=event.to_agency.name if event.to_agency_id else None,
        )
        for event in events
    ]
    return {
        "code": dossier.code,
        "status": dossier.status,
        "status_label": dossier.status_label,
        "procedure": dossier.procedure.code,
        "procedure_name": dossier.procedure_version.name,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "returned_at": dossier.returned_at,
        "steps": steps,
        "dossier": dossier,
    }
