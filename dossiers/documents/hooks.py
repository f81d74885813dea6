"""Where the documents plug into the dossier core, installed once per process:

* a receiver of ``dossier_transitioned`` (sent on commit) that enqueues the rendering of the
  form the event issues (Mẫu 01 on receive, 02 on request-supplement, 03 on refuse, 04 on
  apologize) on the ``documents`` queue;
* link providers for the API's ``links`` (stable URLs, no query per dossier);
* the result generator the workflow's ``complete`` action calls when no file is uploaded;
* the admin of the templates and of the generated documents.
"""

from __future__ import annotations

from django.conf import settings

from portal.paths import path_for

_installed = False


def on_dossier_transitioned(sender, *, action: str, event_id: int, **kwargs) -> None:
    """Enqueue the form ``action`` issues. Already after commit (events.announce)."""
    from dossiers.documents.forms_registry import FORM_FOR_ACTION

    kind = FORM_FOR_ACTION.get(action)
    if kind is None or not getattr(settings, "DOCUMENTS_RENDER_ON_TRANSITION", True):
        return
    from dossiers.document_tasks import render_event_document

    render_event_document.delay(event_id, str(kind))


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def _latest(kind: str):
    def provider(dossier, request) -> str | None:
        if not _issued(kind, dossier):
            return None
        return _absolute(request, path_for("documents:latest", dossier.code, kind))

    provider.__name__ = f"{kind}_link"
    return provider


def _issued(kind: str, dossier) -> bool:
    """Whether ``dossier`` has had the form issued, from fields already loaded (no query)."""
    from dossiers.models import Status

    if kind == "receipt":
        return dossier.received_at is not None
    if kind == "refusal":
        return dossier.status == Status.REFUSED
    if kind == "supplement_request":
        return dossier.status == Status.SUPPLEMENT_REQUESTED
    if kind == "apology":
        # Only an apology moves the appointment away from the legal one.
        return bool(dossier.due_at and dossier.original_due_at) and (
            dossier.due_at != dossier.original_due_at
        )
    return kind == "process_control"


def generate_result(dossier, actor, data: dict) -> tuple[bytes, str]:
    """``RESULT_GENERATORS`` entry; imports the renderer (WeasyPrint) only when called."""
    from dossiers.documents.services import result_generator

    return result_generator(dossier, actor, data)


LINKED_FORMS = ("receipt", "supplement_request", "refusal", "apology", "process_control")


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    from dossiers import document_tasks, workflow
    from dossiers.events import dossier_transitioned
    from dossiers.links import register_link

    document_tasks.register()
    dossier_transitioned.connect(
        on_dossier_transitioned, dispatch_uid="dossiers.documents.render_on_transition"
    )
    for kind in LINKED_FORMS:
        register_link(kind, _latest(kind))
    if generate_result not in workflow.RESULT_GENERATORS:
        workflow.RESULT_GENERATORS.append(generate_result)
    from dossiers.documents.admin import register_admin

    register_admin()
