"""Official documents of the one-stop desk (Thông tư 01/2018/TT-VPCP, numbering as data):
Mẫu 01 receipt, 02 supplement request, 03 refusal, 04 apology, 05 process-control sheet,
06 ledger, and result documents, rendered to PDF in correct Vietnamese.

Modules: ``forms_registry`` (the forms), ``sandbox`` (the template engine administrators'
templates run in), ``context`` (the data of each form), ``rendering`` (WeasyPrint, fonts, the
offline URL fetcher), ``services`` (rendering once per event, Mẫu 05, results, listings),
``ledger`` (Mẫu 06, PDF and XLSX), ``hooks`` (the connection to the dossier core), ``admin``,
``benchmark``. Celery tasks are in ``dossiers/document_tasks.py``; models in
``dossiers/models_documents.py``. This package's top level stays light (no WeasyPrint import).
"""

from __future__ import annotations


def seed_templates(layout: str | None = None, stdout=None) -> int:
    """Demo seeder (settings.DEMO_SEEDERS): version 1 of each form's template, idempotent."""
    from dossiers.documents.services import seed_default_templates

    created = seed_default_templates()
    if stdout is not None:
        stdout.write(f"Document templates: {created} created.")
    return created


def documents_for_dossier(dossier):
    """The dossier's generated documents with their URLs (see services.documents_for_dossier)."""
    from dossiers.documents.services import documents_for_dossier as _documents

    return _documents(dossier)


def documents_panel(request, dossier, audience: str):
    """The dossier's official documents on the owner's and staff's pages (DOSSIER_PANELS)."""
    from dossiers.panels import Panel

    if audience == "public":
        return None
    documents = documents_for_dossier(dossier)
    if not documents:
        return None
    return Panel(
        template="documents/_dossier_documents.html",
        context={"documents": documents, "dossier_code": dossier.code},
        stylesheet="css/documents.css",
    )
