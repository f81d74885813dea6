"""The dossiers' part of export-my-data (``portal.privacy``, settings.MY_DATA_EXPORTERS).

What a citizen filed and what happened to it, as the citizen sees it on their own pages: the
dossiers they are the applicant of, the public steps of the history (time, step, status,
agency, and the reasons addressed to them), the files' names and checksums (not their storage
paths), and their satisfaction ratings. Internal notes and officials' names are not included.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from dossiers.models import Attachment, Dossier, DossierEvent, EventAction, Rating, Status

#: Reasons addressed to the applicant (the same ones the citizen's timeline shows).
PUBLIC_REASON_ACTIONS = frozenset(
    {
        EventAction.REFUSE,
        EventAction.REQUEST_SUPPLEMENT,
        EventAction.REQUEST_PAYMENT,
        EventAction.APOLOGIZE,
        EventAction.WITHDRAW,
        EventAction.SUSPEND,
    }
)


def _event(event: DossierEvent) -> dict[str, Any]:
    payload = event.payload if isinstance(event.payload, dict) else {}
    return {
        "at": event.at,
        "action": event.action,
        "step": event.action_label,
        "status": event.to_status,
        "status_label": str(Status(event.to_status).label),
        "agency": event.to_agency.name if event.to_agency_id else None,
        "reason": payload.get("reason", "") if event.action in PUBLIC_REASON_ACTIONS else "",
    }


def _attachment(attachment: Attachment) -> dict[str, Any]:
    return {
        "kind": attachment.kind,
        "document": attachment.document_name or attachment.document_code,
        "file_name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_at": attachment.created_at,
    }


def _dossier(dossier: Dossier) -> dict[str, Any]:
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.code,
        "procedure_name": dossier.procedure_version.name,
        "channel": dossier.channel,
        "status": dossier.status,
        "status_label": dossier.status_label,
        "applicant": {
            "name": dossier.applicant_name,
            "phone": dossier.applicant_phone,
            "id_number": dossier.applicant_id_number,
            "address": dossier.applicant_address,
            "email": dossier.applicant_email,
        },
        "summary": dossier.summary,
        "receiving_agency": dossier.receiving_agency.name,
        "result_delivery": dossier.result_delivery,
        "delivery_address": dossier.delivery_address,
        "submitted_at": dossier.submitted_at,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "completed_at": dossier.completed_at,
        "returned_at": dossier.returned_at,
        "result_summary": dossier.result_summary,
        "fee_vnd": dossier.fee_vnd,
        "files": [_attachment(a) for a in dossier.attachments.all()],
        "history": [_event(e) for e in dossier.events.all()],
    }


def export_my_data(user) -> dict[str, Any]:
    """``{"dossiers": [...], "ratings": [...]}`` of ``user`` as the applicant."""
    dossiers = (
        Dossier.objects.visible_to(user)
        .filter(applicant=user)
        .select_related("procedure", "procedure_version", "receiving_agency")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id")),
            Prefetch(
                "events",
                queryset=DossierEvent.objects.public()
                .select_related("to_agency")
                .order_by("at", "id"),
            ),
        )
        .order_by("submitted_at", "id")
    )
    ratings = (
        Rating.objects.filter(dossier__applicant=user)
        .select_related("dossier")
        .order_by("created_at", "id")
    )
    return {
        "dossiers": [_dossier(d) for d in dossiers],
        "ratings": [
            {
                "dossier": r.dossier.code,
                "score": r.score,
                "label": r.get_score_display(),
                "comment": r.comment,
                "created_at": r.created_at,
            }
            for r in ratings
        ],
    }
