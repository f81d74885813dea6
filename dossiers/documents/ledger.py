"""Mẫu 06, the ledger (sổ theo dõi hồ sơ) of one receiving agency over a date range, as PDF
(from the editable template) and as XLSX (openpyxl, write-only: memory stays flat).

Only staff of the agency (or superusers) get it; rows go through ``Dossier.visible_to`` like
every export. One query for the rows: the receiving officer is a subquery on the history.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from dossiers.documents import context as ctx
from dossiers.documents.rendering import render_form_pdf
from dossiers.documents.sandbox import numeric_moment, place_and_date
from dossiers.errors import NotAllowed, ValidationError
from dossiers.models import Dossier, DossierEvent, EventAction, Status
from dossiers.models_documents import FormKey
from portal.models import Agency
from portal.permissions import grants_for


def max_days() -> int:
    return int(getattr(settings, "DOCUMENTS_LEDGER_MAX_DAYS", 366))


def max_pdf_rows() -> int:
    return int(getattr(settings, "DOCUMENTS_LEDGER_PDF_MAX_ROWS", 2000))


def max_xlsx_rows() -> int:
    return int(getattr(settings, "DOCUMENTS_LEDGER_XLSX_MAX_ROWS", 200_000))


def ledger_agencies(user) -> QuerySet[Agency]:
    """Agencies whose ledger ``user`` may print: those where they hold a staff role."""
    grants = grants_for(user)
    if grants.is_superuser:
        return Agency.objects.filter(is_active=True, is_receiving_desk=True)
    return Agency.objects.filter(pk__in=grants.agency_ids, is_active=True)


@dataclass(frozen=True)
class LedgerQuery:
    agency: Agency
    start: datetime.date
    end: datetime.date
    user: object


def ledger_query(user, *, agency: Agency | None, start, end) -> LedgerQuery:
    """Check the request: NotAllowed for non-staff, ValidationError for bad ranges."""
    allowed = ledger_agencies(user)
    if not grants_for(user).is_superuser and not grants_for(user).is_staff_member:
        raise NotAllowed()
    if agency is None:
        agency = allowed.order_by("-is_receiving_desk", "code").first()
        if agency is None:
            raise NotAllowed()
    elif not allowed.filter(pk=agency.pk).exists():
        raise NotAllowed(_("Bạn không thuộc cơ quan này."))
    errors: dict[str, list[str]] = {}
    if start is None:
        errors.setdefault("from", []).append(_("Chọn ngày bắt đầu."))
    if end is None:
        errors.setdefault("to", []).append(_("Chọn ngày kết thúc."))
    if start and end:
        if end < start:
            errors.setdefault("to", []).append(_("Ngày kết thúc phải sau ngày bắt đầu."))
        elif (end - start).days + 1 > max_days():
            errors.setdefault("to", []).append(
                _("Khoảng thời gian tối đa %(days)s ngày.") % {"days": max_days()}
            )
    if errors:
        raise ValidationError(errors)
    return LedgerQuery(agency=agency, start=start, end=end, user=user)


def _bounds(query: LedgerQuery) -> tuple[datetime.datetime, datetime.datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(query.start, datetime.time.min, tzinfo=tz)
    end = datetime.datetime.combine(
        query.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
    )
    return start, end


def ledger_queryset(query: LedgerQuery) -> QuerySet[Dossier]:
    start, end = _bounds(query)
    officer = (
        DossierEvent.objects.filter(dossier=OuterRef("pk"), action=EventAction.RECEIVE)
        .order_by("at", "id")
        .values("actor_name")[:1]
    )
    return (
        Dossier.objects.visible_to(query.user)
        .filter(receiving_agency=query.agency, received_at__gte=start, received_at__lt=end)
        .select_related("procedure_version")
        .annotate(receiving_officer=Subquery(officer))
        .only(
            "code",
            "summary",
            "applicant_name",
            "applicant_address",
            "applicant_phone",
            "received_at",
            "due_at",
            "original_due_at",
            "completed_at",
            "returned_at",
            "status",
            "procedure_version__name",
        )
        .order_by("received_at", "id")
    )


def _note(dossier: Dossier) -> str:
    note = str(Status(dossier.status).label)
    late = (
        dossier.returned_at is not None
        and dossier.original_due_at is not None
        and timezone.localdate(dossier.returned_at) > timezone.localdate(dossier.original_due_at)
    )
    return f"{note}; trễ hạn" if late else note


def ledger_rows(query: LedgerQuery, limit: int) -> Iterator[dict]:
    queryset = ledger_queryset(query)[:limit]
    for index, dossier in enumerate(queryset.iterator(chunk_size=2000), start=1):
        yield {
            "index": index,
            "code": dossier.code,
            "content": dossier.summary or dossier.procedure_version.name,
            "applicant": dossier.applicant_name,
            "area": f"{dossier.applicant_address}; {dossier.applicant_phone}",
            "received_at": dossier.received_at,
            "due_at": dossier.due_at,
            "completed_at": dossier.completed_at,
            "returned_at": dossier.returned_at,
            "officer": dossier.receiving_officer or "",
            "note": _note(dossier),
        }


def _context(query: LedgerQuery, template, rows: list[dict], truncated: bool) -> dict:
    now = timezone.now()
    data = ctx.base_context(FormKey.LEDGER, template, dossier=None, agency=query.agency, on=now)
    data.update(start=query.start, end=query.end, rows=rows, truncated=truncated)
    return ctx.nfc(data)


def ledger_pdf(query: LedgerQuery) -> bytes:
    from dossiers.documents.services import template_source

    limit = max_pdf_rows()
    rows = list(ledger_rows(query, limit + 1))
    truncated = len(rows) > limit
    template, source = template_source(FormKey.LEDGER)
    with translation.override("vi"):
        return render_form_pdf(source, _context(query, template, rows[:limit], truncated)).content


XLSX_HEADERS = (
    "STT",
    "Mã hồ sơ",
    "Nội dung yêu cầu",
    "Người nộp",
    "Địa chỉ, số điện thoại",
    "Ngày nhận",
    "Ngày hẹn trả",
    "Ngày có kết quả",
    "Ngày trả kết quả",
    "Cán bộ tiếp nhận",
    "Ghi chú",
)
XLSX_KEYS = (
    "index",
    "code",
    "content",
    "applicant",
    "area",
    "received_at",
    "due_at",
    "completed_at",
    "returned_at",
    "officer",
    "note",
)


def _cell(value):
    if isinstance(value, datetime.datetime):
        return numeric_moment(value)
    if isinstance(value, str):
        # Formula injection: a leading =, +, - or @ would run as a formula in a spreadsheet.
        text = ctx.nfc(value)
        return f"'{text}" if text[:1] in {"=", "+", "-", "@"} else text
    return value


def ledger_xlsx(query: LedgerQuery) -> bytes:
    from dossiers.documents.forms_registry import spec_for
    from dossiers.documents.services import active_template

    template = active_template(FormKey.LEDGER)
    spec = spec_for(FormKey.LEDGER)
    number = template.number_label if template else spec.number_label
    title = template.title if template else spec.title
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="So theo doi")
    bold = Font(bold=True)
    place = ctx.place_name(query.agency)
    for line in (
        query.agency.name.upper(),
        f"{number} – {title}",
        f"Từ {query.start:%d/%m/%Y} đến {query.end:%d/%m/%Y}",
        place_and_date(place, timezone.localdate()),
    ):
        sheet.append([ctx.nfc(line)])
    sheet.append([])
    header = []
    for text in XLSX_HEADERS:
        cell = _styled(sheet, text, bold)
        header.append(cell)
    sheet.append(header)
    for row in ledger_rows(query, max_xlsx_rows()):
        sheet.append([_cell(row[key]) for key in XLSX_KEYS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _styled(sheet, text: str, font: Font):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=text)
    cell.font = font
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    return cell
