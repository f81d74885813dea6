"""Services of the official documents: template versions, rendering the form an event issues
(idempotent), Mẫu 05 on demand, result generation, and the list of a dossier's documents.

Rendering is slow next to a database write (~0.1 s), so it runs outside any transaction and
only the insert of the ``GeneratedDocument`` row is atomic: two concurrent renders of the same
(dossier, kind, event) both produce a PDF, one insert wins the unique constraint, the loser
deletes its file and returns the winner's row.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone, translation

from dossiers.attachments import private_storage
from dossiers.documents import context as ctx
from dossiers.documents.forms_registry import DOSSIER_FORMS, FORM_FOR_ACTION, FORMS, spec_for
from dossiers.documents.rendering import RenderedPdf, render_form_pdf
from dossiers.documents.sandbox import check_body
from dossiers.errors import NotFound
from dossiers.models import Dossier, DossierEvent
from dossiers.models_documents import (
    DocumentFailure,
    DocumentTemplate,
    FormKey,
    GeneratedDocument,
)
from dossiers.workflow import find_visible

logger = logging.getLogger(__name__)

ContextBuilder = Callable[[DocumentTemplate | None, Dossier, DossierEvent], dict]

#: Forms issued by one history event, with the builder of their data.
EVENT_FORMS: dict[str, ContextBuilder] = {
    FormKey.RECEIPT: ctx.receipt_context,
    FormKey.SUPPLEMENT_REQUEST: ctx.supplement_context,
    FormKey.REFUSAL: ctx.refusal_context,
    FormKey.APOLOGY: ctx.apology_context,
}


# --- templates ------------------------------------------------------------------------------


def active_template(key: str) -> DocumentTemplate | None:
    return DocumentTemplate.objects.filter(form_key=key, is_active=True).first()


def template_source(key: str) -> tuple[DocumentTemplate | None, str]:
    """The active template of ``key`` and its body; the file default when none is active."""
    template = active_template(key)
    if template is not None:
        return template, template.body
    return None, spec_for(key).default_body()


@transaction.atomic
def save_template_version(
    *,
    form_key: str,
    number_label: str,
    title: str,
    body: str,
    user=None,
    note: str = "",
) -> DocumentTemplate:
    """Save a new active version of ``form_key``'s template and retire the previous one.
    Raises Django ``ValidationError`` when the body is not a usable template."""
    spec_for(form_key)
    body = ctx.nfc(body)
    check_body(body)
    current = (
        DocumentTemplate.objects.select_for_update()
        .filter(form_key=form_key)
        .aggregate(top=Max("version"))["top"]
        or 0
    )
    DocumentTemplate.objects.filter(form_key=form_key, is_active=True).update(is_active=False)
    return DocumentTemplate.objects.create(
        form_key=form_key,
        version=current + 1,
        number_label=ctx.nfc(number_label.strip()),
        title=ctx.nfc(title.strip()),
        body=body,
        is_active=True,
        note=ctx.nfc(note.strip()),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


def seed_default_templates() -> int:
    """Version 1 of every form whose template table is empty (idempotent); returns how many."""
    created = 0
    for key, spec in FORMS.items():
        if DocumentTemplate.objects.filter(form_key=key).exists():
            continue
        save_template_version(
            form_key=key,
            number_label=spec.number_label,
            title=spec.title,
            body=spec.default_body(),
            note="Mẫu mặc định",
        )
        created += 1
    return created


# --- storing --------------------------------------------------------------------------------


def _store(
    dossier: Dossier,
    kind: str,
    event: DossierEvent,
    template: DocumentTemplate | None,
    form: dict,
    pdf: RenderedPdf,
) -> GeneratedDocument:
    storage = private_storage()
    now = timezone.now()
    name = storage.save(f"documents/{now:%Y/%m}/{uuid.uuid4().hex}.pdf", ContentFile(pdf.content))
    try:
        with transaction.atomic():
            return GeneratedDocument.objects.create(
                dossier=dossier,
                kind=kind,
                source_event=event,
                template=template,
                number_label=form["number_label"],
                title=form["title"],
                storage_name=name,
                size=len(pdf.content),
                sha256=pdf.sha256,
                pages=pdf.pages,
            )
    except IntegrityError:
        storage.delete(name)
        existing = GeneratedDocument.objects.filter(
            dossier=dossier, kind=kind, source_event=event
        ).first()
        if existing is None:
            raise
        return existing


def _load_dossier(dossier_id: int) -> Dossier:
    return (
        Dossier.objects.select_related(
            "procedure",
            "procedure_version",
            "receiving_agency__unit__parent",
            "receiving_agency__parent",
            "current_agency__unit__parent",
            "current_agency__parent",
        )
        .prefetch_related("procedure_version__documents", "procedure_version__channels")
        .get(pk=dossier_id)
    )


def _existing(dossier_id: int, kind: str, event_id: int) -> GeneratedDocument | None:
    return GeneratedDocument.objects.filter(
        dossier_id=dossier_id, kind=kind, source_event_id=event_id
    ).first()


def render_for_event(event_id: int, kind: str | None = None) -> GeneratedDocument | None:
    """The form ``event`` issues (Mẫu 01–04), rendered and stored once. Returns the existing
    document when there is one, None when the event issues no form."""
    event = (
        DossierEvent.objects.select_related("to_agency__unit__parent", "to_agency__parent")
        .filter(pk=event_id)
        .first()
    )
    if event is None:
        return None
    kind = kind or FORM_FOR_ACTION.get(event.action)
    if kind not in EVENT_FORMS or FORM_FOR_ACTION.get(event.action) != kind:
        return None
    existing = _existing(event.dossier_id, kind, event.pk)
    if existing is not None:
        return existing
    dossier = _load_dossier(event.dossier_id)
    template, source = template_source(kind)
    with translation.override("vi"):
        data = EVENT_FORMS[kind](template, dossier, event)
        pdf = render_form_pdf(source, data)
    document = _store(dossier, kind, event, template, data["form"], pdf)
    DocumentFailure.objects.filter(source_event=event, kind=kind).delete()
    return document


def record_failure(event_id: int, kind: str | None, error: BaseException) -> int:
    """Count a failed render of (event, kind); returns the attempts so far."""
    action = DossierEvent.objects.filter(pk=event_id).values_list("action", flat=True).first()
    kind = kind or FORM_FOR_ACTION.get(action or "")
    if action is None or not kind:
        return 0
    failure, _created = DocumentFailure.objects.get_or_create(source_event_id=event_id, kind=kind)
    DocumentFailure.objects.filter(pk=failure.pk).update(
        attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
    )
    failure.refresh_from_db()
    return failure.attempts


def latest_event_for(dossier: Dossier, kind: str) -> DossierEvent | None:
    action = spec_for(kind).action
    if action is None:
        return None
    return dossier.events.filter(action=action).order_by("-at", "-id").first()


def process_control_sheet(dossier_ref, user) -> GeneratedDocument:
    """Mẫu 05 of a dossier ``user`` may see, from its history up to the latest event (rendered
    once per latest event). NotFound when the dossier is not visible."""
    dossier = find_visible(dossier_ref, user)
    events = list(
        DossierEvent.objects.filter(dossier=dossier)
        .select_related("from_agency", "to_agency", "assignee")
        .order_by("at", "id")
    )
    if not events:
        raise NotFound()
    last = events[-1]
    kind = FormKey.PROCESS_CONTROL
    existing = _existing(dossier.pk, kind, last.pk)
    if existing is not None:
        return existing
    dossier = _load_dossier(dossier.pk)
    template, source = template_source(kind)
    with translation.override("vi"):
        data = ctx.process_control_context(template, dossier, events)
        pdf = render_form_pdf(source, data)
    return _store(dossier, kind, last, template, data["form"], pdf)


def latest_document(dossier_ref, user, kind: str) -> GeneratedDocument:
    """The newest document of ``kind`` of a visible dossier; rendered now when its event exists
    but the task has not run yet (a stable link never answers 404 for a form already issued)."""
    if kind not in DOSSIER_FORMS:
        raise NotFound()
    if kind == FormKey.PROCESS_CONTROL:
        return process_control_sheet(dossier_ref, user)
    dossier = find_visible(dossier_ref, user)
    event = latest_event_for(dossier, kind)
    if event is None:
        raise NotFound()
    document = _existing(dossier.pk, kind, event.pk) or render_for_event(event.pk, kind)
    if document is None:
        raise NotFound()
    return document


# --- results --------------------------------------------------------------------------------

RESULT_TEMPLATE_SUFFIXES = (".html", ".htm", ".txt")


def result_template_source(version) -> tuple[DocumentTemplate | None, str]:
    """The procedure's own result template when it is an HTML template that compiles (other
    formats, e.g. .docx, cannot be filled in here), else the portal's result template."""
    upload = getattr(version, "result_template", None)
    if upload and str(upload.name).lower().endswith(RESULT_TEMPLATE_SUFFIXES):
        try:
            with upload.open("rb") as handle:
                source = handle.read(512 * 1024).decode("utf-8")
            check_body(source)
        except (OSError, UnicodeDecodeError, ValidationError) as exc:
            logger.warning("Unusable result template of version %s: %s", version.pk, exc)
        else:
            return None, source
    return template_source(FormKey.RESULT)


def generate_result(dossier: Dossier, actor, result_summary: str) -> bytes:
    """The result PDF of ``dossier`` from its procedure's result template, ready to be signed.
    The workflow stores it as the dossier's result attachment (immutable, with its SHA-256)."""
    template, source = result_template_source(dossier.procedure_version)
    with translation.override("vi"):
        data = ctx.result_context(template, dossier, actor, ctx.nfc(result_summary), timezone.now())
        return render_form_pdf(source, data).content


def result_generator(dossier: Dossier, actor, data: dict) -> tuple[bytes, str]:
    """The shape ``dossiers.workflow.RESULT_GENERATORS`` expects."""
    return generate_result(dossier, actor, data.get("result_summary", "")), (
        f"ket-qua-{dossier.code}.pdf"
    )


# --- listing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentLink:
    """A generated document as pages and the API show it."""

    id: int
    kind: str
    number_label: str
    title: str
    created_at: object
    pages: int
    size: int
    sha256: str
    url: str
    download_url: str
    print_url: str

    @property
    def label(self) -> str:
        return f"{self.number_label} – {self.title}"


def link_for(document: GeneratedDocument, code: str) -> DocumentLink:
    url = reverse("documents:download", args=[code, document.pk])
    return DocumentLink(
        id=document.pk,
        kind=document.kind,
        number_label=document.number_label,
        title=document.title,
        created_at=document.created_at,
        pages=document.pages,
        size=document.size,
        sha256=document.sha256,
        url=url,
        download_url=f"{url}?download=1",
        print_url=reverse("documents:print", args=[code, document.pk]),
    )


def documents_for_dossier(dossier: Dossier) -> list[DocumentLink]:
    """The dossier's generated documents, oldest first (one query). The caller has already
    checked that the user may see ``dossier``."""
    documents = GeneratedDocument.objects.filter(dossier_id=dossier.pk).order_by("created_at", "id")
    return [link_for(document, dossier.code) for document in documents]


def open_document(document: GeneratedDocument):
    return private_storage().open(document.storage_name, "rb")
