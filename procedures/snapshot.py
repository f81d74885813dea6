"""The content of a procedure version as one plain, canonical dictionary (a *snapshot*).

One shape serves every path that reads or writes a version: the services diff two snapshots for
the audit log, the import/export format is a snapshot flattened into a row, the demo seeder
writes snapshots, and ``content_hash`` (SHA-256 of the canonical JSON) tells whether a row of an
imported file differs from the version in the database. Agencies and sectors appear by code,
channels and documents as lists of dictionaries, so a snapshot means the same thing in any
database.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from procedures.models import ChannelKind, ProcedureVersion, TimeUnit

Snapshot = dict[str, Any]

DEFAULT_ACCEPTED_TYPES = "application/pdf,image/jpeg,image/png"
SINGLE_LINE_FIELDS = (
    "local_code",
    "name",
    "gov_level",
    "result_name",
    "result_template",
    "publishing_decision",
    "keywords",
    "related_codes",
    "implementing_agency",
    "competent_agency",
    "authorised_agency",
)
MULTI_LINE_FIELDS = ("steps", "applicants", "conditions")
CODE_LIST_FIELDS = ("sectors", "coordinating_agencies", "receiving_agencies")
FLAG_FIELDS = ("postal_eligible", "online_payment", "result_must_be_signed")
SNAPSHOT_FIELDS = (
    *SINGLE_LINE_FIELDS,
    *MULTI_LINE_FIELDS,
    *CODE_LIST_FIELDS,
    *FLAG_FIELDS,
    "service_level",
    "legal_basis",
    "channels",
    "documents",
)
CHANNEL_ORDER = [kind.value for kind in ChannelKind]
LEGAL_BASIS_KEYS = ("number", "title", "issued_on", "effective_on", "issuer")
DOCUMENT_KEYS = (
    "code",
    "case",
    "name",
    "originals",
    "certified_copies",
    "photocopies",
    "required",
    "accepted_types",
    "form_template",
)


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """NFC text with ``\\r\\n`` turned into ``\\n`` and outer whitespace removed."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    if not multiline:
        text = " ".join(text.split())
    return text.strip()


def clean_codes(values: Any) -> list[str]:
    """A sorted list of distinct, stripped codes."""
    if isinstance(values, str):
        values = values.split(";")
    return sorted({clean_text(v) for v in values or [] if clean_text(v)})


def format_time(value: Any) -> str:
    """A processing time as text with one decimal place (``15`` → ``"15.0"``)."""
    try:
        return f"{Decimal(str(value)).quantize(Decimal('0.1')):f}"
    except (InvalidOperation, ValueError):
        return clean_text(value)


def _int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def normalize_channel(channel: dict) -> dict:
    return {
        "kind": clean_text(channel.get("kind")),
        "processing_time": format_time(channel.get("processing_time", "")),
        "time_unit": clean_text(channel.get("time_unit") or TimeUnit.WORKING_DAYS),
        "fee_vnd": _int(channel.get("fee_vnd") or 0),
        "fee_description": clean_text(channel.get("fee_description")),
    }


def normalize_document(document: dict) -> dict:
    accepted = document.get("accepted_types")
    if isinstance(accepted, list | tuple):
        accepted = ",".join(accepted)
    return {
        "code": clean_text(document.get("code")),
        "case": clean_text(document.get("case")),
        "name": clean_text(document.get("name")),
        "originals": _int(document.get("originals") or 0),
        "certified_copies": _int(document.get("certified_copies") or 0),
        "photocopies": _int(document.get("photocopies") or 0),
        "required": bool(document.get("required", True)),
        "accepted_types": ",".join(
            t.strip()
            for t in clean_text(accepted or DEFAULT_ACCEPTED_TYPES).split(",")
            if t.strip()
        ),
        "form_template": clean_text(document.get("form_template")),
    }


def normalize_legal_basis(entry: dict) -> dict:
    return {key: clean_text(entry.get(key)) for key in LEGAL_BASIS_KEYS}


def normalize(data: dict) -> Snapshot:
    """The canonical form of ``data`` (missing keys take their empty value)."""
    snapshot: Snapshot = {}
    for key in SINGLE_LINE_FIELDS:
        snapshot[key] = clean_text(data.get(key))
    for key in MULTI_LINE_FIELDS:
        snapshot[key] = clean_text(data.get(key), multiline=True)
    for key in CODE_LIST_FIELDS:
        snapshot[key] = clean_codes(data.get(key))
    for key in FLAG_FIELDS:
        snapshot[key] = bool(data.get(key, False))
    snapshot["service_level"] = _int(data.get("service_level") or 1)
    snapshot["legal_basis"] = [
        normalize_legal_basis(entry) for entry in data.get("legal_basis") or [] if entry
    ]
    channels = [normalize_channel(c) for c in data.get("channels") or []]
    channels.sort(
        key=lambda c: CHANNEL_ORDER.index(c["kind"]) if c["kind"] in CHANNEL_ORDER else 99
    )
    snapshot["channels"] = channels
    snapshot["documents"] = [normalize_document(d) for d in data.get("documents") or []]
    return snapshot


def content_hash(snapshot: Snapshot) -> str:
    """SHA-256 of the canonical JSON of a normalized snapshot."""
    payload = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def diff(before: Snapshot | None, after: Snapshot) -> dict[str, dict[str, Any]]:
    """Field-level changes: ``{field: {"old": ..., "new": ...}}`` for every differing field."""
    before = before or {}
    return {
        key: {"old": before.get(key), "new": after.get(key)}
        for key in SNAPSHOT_FIELDS
        if before.get(key) != after.get(key)
    }


def _code(agency) -> str:
    return agency.code if agency is not None else ""


def snapshot_of(version: ProcedureVersion) -> Snapshot:
    """The snapshot of a saved version.

    Uses ``version.sectors.all()`` and the other relations, so a caller reading many versions
    should ``select_related`` the agencies and ``prefetch_related`` ``SNAPSHOT_PREFETCH``.
    """
    data = {
        field: getattr(version, field)
        for field in (
            "local_code",
            "name",
            "gov_level",
            "service_level",
            "publishing_decision",
            "keywords",
            "related_codes",
            "result_name",
            *MULTI_LINE_FIELDS,
            *FLAG_FIELDS,
            "legal_basis",
        )
    }
    data["result_template"] = version.result_template.name or ""
    data["implementing_agency"] = _code(version.implementing_agency)
    data["competent_agency"] = _code(version.competent_agency)
    data["authorised_agency"] = _code(version.authorised_agency)
    data["sectors"] = [s.code for s in version.sectors.all()]
    data["coordinating_agencies"] = [a.code for a in version.coordinating_agencies.all()]
    data["receiving_agencies"] = [a.code for a in version.receiving_agencies.all()]
    data["channels"] = [
        {
            "kind": c.kind,
            "processing_time": c.processing_time,
            "time_unit": c.time_unit,
            "fee_vnd": c.fee_vnd,
            "fee_description": c.fee_description,
        }
        for c in version.channels.all()
    ]
    data["documents"] = [
        {
            "code": d.code,
            "case": d.case,
            "name": d.name,
            "originals": d.originals,
            "certified_copies": d.certified_copies,
            "photocopies": d.photocopies,
            "required": d.required,
            "accepted_types": d.accepted_types,
            "form_template": d.form_template.name or "",
        }
        for d in sorted(version.documents.all(), key=lambda d: (d.position, d.id))
    ]
    return normalize(data)


SNAPSHOT_SELECT = ("procedure", "implementing_agency", "competent_agency", "authorised_agency")
SNAPSHOT_PREFETCH = (
    "sectors",
    "coordinating_agencies",
    "receiving_agencies",
    "channels",
    "documents",
)
