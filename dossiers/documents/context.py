"""The data each official form is rendered with: plain dicts, strings and dates (the sandbox
never sees a model instance), every string normalised to NFC.

Forms issued by an event are built from that event (its time, actor, payload, step deadline),
so a re-render later — a retry, the sweeper — prints what was true when the form was issued.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections import Counter
from decimal import Decimal
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from dossiers import deadlines
from dossiers.documents.forms_registry import spec_for
from dossiers.documents.sandbox import place_and_date
from dossiers.models import (
    Attachment,
    AttachmentKind,
    Dossier,
    DossierEvent,
    ResultDelivery,
    Status,
)
from portal.models import Agency, Role, StaffMembership

_UNIT_PREFIXES = re.compile(
    r"^(Tỉnh|Thành phố|Thị xã|Huyện|Quận|Thị trấn|Xã|Phường|Đặc khu)\s+", re.IGNORECASE
)


def nfc(value):
    """``value`` with every string (nested in dicts, lists, tuples) normalised to NFC."""
    if isinstance(value, SafeString):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {key: nfc(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [nfc(item) for item in value]
    return value


def base_url() -> str:
    return str(getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def tracking_url(code: str) -> str:
    return f"{base_url()}/track/?{urlencode({'code': code})}"


def qr_svg(url: str) -> SafeString:
    """The QR code of ``url`` as inline SVG (segno output: safe markup, no user text)."""
    return mark_safe(segno.make(url, error="m").svg_inline(scale=3, border=2, svgclass="qr"))


def place_name(agency: Agency | None) -> str:
    """The place written before the date: the unit's name without its level ("Tỉnh Lâm Đồng" →
    "Lâm Đồng"); a numbered ward ("Phường 4") takes its parent's place ("Đà Lạt")."""
    unit = agency.unit if agency is not None else None
    hops = 0
    while unit is not None and hops < 5:
        name = _UNIT_PREFIXES.sub("", unit.name.strip())
        if name and not name.isdigit():
            return name
        unit, hops = unit.parent, hops + 1
    return ""


def agency_block(agency: Agency | None) -> dict:
    if agency is None:
        return {"name": "", "parent_name": "", "code": "", "address": "", "phone": "", "email": ""}
    parent = agency.parent
    return {
        "name": agency.name,
        "parent_name": parent.name if parent is not None else "",
        "code": agency.code,
        "address": agency.address,
        "phone": agency.phone,
        "email": agency.email,
    }


def official(user_id: int | None, agency_id: int | None, name: str = "") -> dict:
    """Name and title (chức danh) of a member of staff in an agency, for signature blocks."""
    title = ""
    if user_id is not None and agency_id is not None:
        memberships = StaffMembership.objects.filter(
            user_id=user_id, agency_id=agency_id, is_active=True
        ).select_related("user")
        for membership in memberships:
            name = name or membership.user.get_full_name()
            if membership.title:
                title = membership.title
                break
            if membership.role == Role.LEADER:
                title = str(Role.LEADER.label)
    return {"name": name, "title": title}


def _decimal_text(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text.replace(".", ",")


def processing_time(dossier: Dossier) -> str:
    channel = deadlines.channel_for(dossier.procedure_version, dossier.channel)
    if channel is None:
        return ""
    return f"{_decimal_text(channel.processing_time)} {channel.get_time_unit_display()}"


def applicant_block(dossier: Dossier) -> dict:
    return {
        "name": dossier.applicant_name,
        "address": dossier.applicant_address,
        "phone": dossier.applicant_phone,
        "email": dossier.applicant_email,
        "id_number": dossier.applicant_id_number,
    }


def dossier_block(dossier: Dossier) -> dict:
    version = dossier.procedure_version
    post = dossier.result_delivery == ResultDelivery.POST
    return {
        "code": dossier.code,
        "procedure_code": dossier.procedure.code,
        "procedure_name": version.name,
        "result_name": version.result_name,
        "summary": dossier.summary or version.name,
        "channel": dossier.get_channel_display(),
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "completed_at": dossier.completed_at,
        "returned_at": dossier.returned_at,
        "status": dossier.status_label,
        "result_delivery": dossier.get_result_delivery_display(),
        "result_by_post": post,
        "delivery_address": dossier.delivery_address if post else "",
        "pickup_by_post": dossier.pickup_by_post,
        "processing_time": processing_time(dossier),
        "fee": dossier.fee_vnd,
    }


def _form(key: str, template) -> dict:
    spec = spec_for(key)
    if template is None:
        return {"key": key, "number_label": spec.number_label, "title": spec.title}
    return {"key": key, "number_label": template.number_label, "title": template.title}


def base_context(
    key: str,
    template,
    *,
    dossier: Dossier | None,
    agency: Agency | None,
    on: datetime.datetime,
) -> dict:
    on_date = timezone.localdate(on) if timezone.is_aware(on) else on.date()
    place = place_name(agency)
    context = {
        "form": _form(key, template),
        "agency": agency_block(agency),
        "place": place,
        "issued_at": on,
        "issued_on": on_date,
        "place_date": place_and_date(place, on_date),
        "portal_url": base_url(),
    }
    if dossier is not None:
        url = tracking_url(dossier.code)
        context.update(
            dossier=dossier_block(dossier),
            applicant=applicant_block(dossier),
            tracking_url=url,
            qr_svg=qr_svg(url),
        )
    return context


def received_documents(dossier: Dossier) -> list[dict]:
    """Papers received with the dossier: the catalog's documents that came with a file at
    filing; for a paper-only walk-in dossier, the required documents."""
    documents = list(dossier.procedure_version.documents.all())
    counts = Counter(
        Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.FILING).values_list(
            "document_code", flat=True
        )
    )
    rows = [doc for doc in documents if counts.get(doc.code)] or [
        doc for doc in documents if doc.required
    ]
    return [
        {
            "index": index,
            "name": doc.name,
            "case": doc.case,
            "originals": doc.originals,
            "certified_copies": doc.certified_copies,
            "photocopies": doc.photocopies,
            "files": counts.get(doc.code, 0),
        }
        for index, doc in enumerate(rows, start=1)
    ]


def _parse_moment(value) -> datetime.datetime | None:
    if not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def receipt_context(template, dossier: Dossier, event: DossierEvent) -> dict:
    agency = dossier.receiving_agency
    context = base_context("receipt", template, dossier=dossier, agency=agency, on=event.at)
    context.update(
        received_at=event.at,
        appointment=event.step_due_at or dossier.original_due_at or dossier.due_at,
        documents=received_documents(dossier),
        sets=1,
        officer=official(event.actor_id, agency.pk, event.actor_name),
        note=event.note,
    )
    return nfc(context)


def supplement_context(template, dossier: Dossier, event: DossierEvent) -> dict:
    agency = event.to_agency or dossier.current_agency
    payload = event.payload or {}
    documents = payload.get("documents") or []
    if isinstance(documents, str):
        documents = [documents]
    context = base_context(
        "supplement_request", template, dossier=dossier, agency=agency, on=event.at
    )
    context.update(
        requested_at=event.at,
        reason=payload.get("reason") or event.note,
        missing=[{"index": i, "name": str(name)} for i, name in enumerate(documents, start=1)],
        officer=official(event.actor_id, agency.pk if agency else None, event.actor_name),
    )
    return nfc(context)


def refusal_context(template, dossier: Dossier, event: DossierEvent) -> dict:
    agency = dossier.receiving_agency
    context = base_context("refusal", template, dossier=dossier, agency=agency, on=event.at)
    context.update(
        refused_at=event.at,
        reason=(event.payload or {}).get("reason") or event.note,
        officer=official(event.actor_id, agency.pk, event.actor_name),
    )
    return nfc(context)


def apology_context(template, dossier: Dossier, event: DossierEvent) -> dict:
    agency = event.to_agency or dossier.current_agency
    payload = event.payload or {}
    context = base_context("apology", template, dossier=dossier, agency=agency, on=event.at)
    context.update(
        original_appointment=_parse_moment(payload.get("previous_due_at"))
        or dossier.original_due_at,
        new_appointment=_parse_moment(payload.get("new_due_at")) or dossier.due_at,
        reason=payload.get("reason") or event.note,
        head=official(event.actor_id, agency.pk if agency else None, event.actor_name),
    )
    return nfc(context)


def _step_result(event: DossierEvent) -> str:
    """Early / on time / late of one hand-over against the step's deadline."""
    if event.step_due_at is None:
        return ""
    if event.at <= event.step_due_at:
        return "Đúng hạn"
    return "Quá hạn"


def process_control_context(template, dossier: Dossier, events: list[DossierEvent]) -> dict:
    """Mẫu 05: one row per history event (the electronic log replaces signatures)."""
    last = events[-1] if events else None
    agency = dossier.receiving_agency
    on = last.at if last is not None else timezone.now()
    context = base_context("process_control", template, dossier=dossier, agency=agency, on=on)
    rows = []
    for index, event in enumerate(events, start=1):
        rows.append(
            {
                "index": index,
                "at": event.at,
                "action": event.action_label,
                "status": str(Status(event.to_status).label),
                "from_agency": event.from_agency.name if event.from_agency_id else "",
                "to_agency": event.to_agency.name if event.to_agency_id else "",
                "given_by": event.actor_name,
                "received_by": event.assignee.get_full_name() if event.assignee_id else "",
                "step_due_at": event.step_due_at,
                "result": _step_result(event),
                "note": event.note,
            }
        )
    context.update(rows=rows, until=on)
    return nfc(context)


def result_context(template, dossier: Dossier, actor, summary: str, on) -> dict:
    agency = dossier.current_agency
    context = base_context("result", template, dossier=dossier, agency=agency, on=on)
    name = actor.get_full_name() if getattr(actor, "is_authenticated", False) else ""
    context.update(
        result_summary=summary,
        signer=official(getattr(actor, "pk", None), agency.pk, name),
    )
    return nfc(context)
