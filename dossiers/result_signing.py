"""Signing the result (issue 8, items 4–5) and the specialist's proposal to the leader.

Two lifecycle actions, registered with the transition service like the others:

``sign`` (status 9 → 9). The result is ready; the leader of the *deciding agency* (the agency
that completed the dossier, ``Dossier.deciding_agency``, kept after the result travels back to
the returning desk) signs the current result PDF with their registered certificate. Then a
clerk (văn thư) of the deciding or the returning agency may add the issuance signature on the
already signed PDF (both signatures verify: the second is an incremental update). Each
signature stores a new result attachment; the one it replaces is kept, marked
``superseded_by``, and no longer shown to the citizen as the result. The verification of the
signed file is made once, here, and stored on its attachment (``signature_report``), so the
citizen's page shows it without re-verifying and without extra queries.

Signing happens at 9 rather than inside ``complete`` because the leader approves what the
specialist prepared, the result may be generated from the template at completion, and the
issuance counter-signature belongs after the leader's. Procedures flagged
``result_must_be_signed`` cannot be returned (9 → 10) before the leader has signed.

``submit-for-approval`` (status 4, unchanged). The specialist of the holding agency proposes
the result to the leader with a note and optionally a draft PDF; the dossier is flagged
"chờ phê duyệt" in the queues and on the processing page until the leader completes it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers.attachments import (
    check_file,
    check_total,
    checked_pdf,
    open_attachment,
    single_upload,
    store_all,
)
from dossiers.errors import DossierError, InvalidState
from dossiers.inputs import Cleaner
from dossiers.models import Attachment, AttachmentKind, Dossier, EventAction, Status
from dossiers.workflow import Action, Context, register
from portal.models import Role
from portal.permissions import Grants
from signatures.errors import NoSigningCertificate, SignatureError, VerificationRefused
from signatures.services import active_certificate_for, sign_document
from signatures.verification import verify_pdf

logger = logging.getLogger(__name__)

LEADER = "leader"
CLERK = "clerk"

SIGN_LABELS = {
    LEADER: (gettext_lazy("Ký số kết quả"), gettext_lazy("Ký số")),
    CLERK: (gettext_lazy("Ký ban hành"), gettext_lazy("Ký ban hành")),
}


class SigningRefused(DossierError):
    """A signing problem of the signer (no certificate, provider down): its own status."""

    def __init__(self, message: str, status_code: int = 400):
        super().__init__(message)
        self.status_code = status_code


# --- who ------------------------------------------------------------------------------------


def deciding_agency_id(dossier: Dossier) -> int | None:
    return dossier.deciding_agency_id or dossier.current_agency_id


def is_deciding_leader(grants: Grants, dossier: Dossier) -> bool:
    return grants.has_role(deciding_agency_id(dossier), Role.LEADER)


def is_issuing_clerk(grants: Grants, dossier: Dossier) -> bool:
    return grants.has_role(deciding_agency_id(dossier), Role.CLERK) or grants.has_role(
        dossier.returning_agency_id, Role.CLERK
    )


def may_sign(grants: Grants, dossier: Dossier) -> bool:
    return (
        grants.is_superuser
        or is_deciding_leader(grants, dossier)
        or is_issuing_clerk(grants, dossier)
    )


def signing_role(grants: Grants, dossier: Dossier) -> str:
    """The signature ``grants``' holder would add now: the leader's until there is one, then
    the clerk's issuance signature (a leader who is also a clerk signs both, in that order)."""
    leader = grants.is_superuser or is_deciding_leader(grants, dossier)
    clerk = grants.is_superuser or is_issuing_clerk(grants, dossier)
    if dossier.result_signed_at is None:
        return LEADER if leader else CLERK
    return CLERK if clerk else LEADER


def has_signature_to_add(grants: Grants, dossier: Dossier) -> bool:
    """Offer the sign form only while the user's signature is still missing."""
    if signing_role(grants, dossier) == LEADER:
        return dossier.result_signed_at is None
    return dossier.result_signed_at is not None and dossier.result_countersigned_at is None


def sign_labels(grants: Grants, dossier: Dossier) -> tuple[str, str]:
    """(form title, button) of the sign form for this user: role-aware."""
    title, button = SIGN_LABELS[signing_role(grants, dossier)]
    return str(title), str(button)


def holding_specialist(grants: Grants, dossier: Dossier) -> bool:
    return grants.is_superuser or grants.has_role(dossier.current_agency_id, Role.SPECIALIST)


# --- the result -----------------------------------------------------------------------------


def current_result(dossier: Dossier) -> Attachment | None:
    """The result the citizen receives: the latest result file not replaced by a signed one."""
    return (
        Attachment.objects.filter(
            dossier=dossier, kind=AttachmentKind.RESULT, superseded_by__isnull=True
        )
        .order_by("-id")
        .first()
    )


def require_signed_result(dossier: Dossier) -> None:
    """``return`` of a procedure whose result must be signed: refused until the leader signed."""
    if not result_releasable(dossier):
        raise InvalidState(
            _(
                "Thủ tục này yêu cầu kết quả phải được lãnh đạo ký số; kết quả chưa được ký "
                "nên chưa thể trả cho người nộp."
            )
        )


def result_releasable(dossier: Dossier) -> bool:
    """The result may leave the agency (returned at the desk, handed to the post): signed by
    the leader when the procedure requires it. Mirrors ``releasable_q``."""
    return (
        not dossier.procedure_version.result_must_be_signed or dossier.result_signed_at is not None
    )


def releasable_q() -> Q:
    return Q(procedure_version__result_must_be_signed=False) | Q(result_signed_at__isnull=False)


def report_as_json(report) -> dict:
    """The parts of a ``VerificationReport`` the citizen's page shows, as JSON."""
    return {
        "verdict": report.verdict,
        "signatures": [
            {
                "signer_name": sig.signer_name,
                "signing_time": sig.signing_time.isoformat() if sig.signing_time else None,
                "verdict": sig.verdict,
                "intact": sig.intact,
                "trusted": sig.trusted,
                "covers_whole_document": sig.covers_whole_document,
                "certificate_valid_at_signing_time": sig.certificate_valid_at_signing_time,
                "serial_number": sig.certificate.serial_number if sig.certificate else "",
                "issuer": sig.certificate.issuer if sig.certificate else "",
            }
            for sig in report.signatures
        ],
    }


def _verify(content: bytes) -> dict | None:
    try:
        return report_as_json(verify_pdf(content))
    except VerificationRefused:
        logger.exception("Verification of a freshly signed result failed")
        return None


# --- sign -----------------------------------------------------------------------------------


def _clean_sign(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    note = cleaner.text("note")
    cleaner.raise_if_errors()
    role = signing_role(grants, dossier)
    if role == LEADER and dossier.result_signed_at is not None:
        raise InvalidState(_("Kết quả đã được lãnh đạo ký số."))
    if role == CLERK:
        if dossier.result_signed_at is None:
            raise InvalidState(
                _("Kết quả chưa được lãnh đạo ký số nên văn thư chưa thể ký ban hành.")
            )
        if dossier.result_countersigned_at is not None:
            raise InvalidState(_("Kết quả đã được ký ban hành."))
    result = current_result(dossier)
    if result is None:
        raise InvalidState(_("Hồ sơ chưa có tệp kết quả để ký số."))
    if result.content_type != "application/pdf":
        raise InvalidState(_("Tệp kết quả không phải PDF nên không thể ký số."))
    return {"note": note, "role": role, "result": result}


def _sign(ctx: Context) -> None:
    dossier, role = ctx.dossier, ctx.data["role"]
    result: Attachment = ctx.data["result"]
    try:
        certificate = active_certificate_for(ctx.actor)
    except NoSigningCertificate as exc:
        raise SigningRefused(exc.message, 400) from exc
    with open_attachment(result) as handle:
        content = handle.read()
    if role == LEADER:
        reason = _("Phê duyệt kết quả giải quyết hồ sơ %(code)s") % {"code": dossier.code}
    else:
        reason = _("Ban hành kết quả giải quyết hồ sơ %(code)s") % {"code": dossier.code}
    location = certificate.agency.name if certificate.agency_id else ""
    try:
        signed = sign_document(content, ctx.actor, reason=reason, location=location)
    except SignatureError as exc:
        raise SigningRefused(exc.message, exc.status_code) from exc
    checked = checked_pdf(signed, result.original_name, field="result_file")
    [stored] = store_all(ctx.writer, dossier, [checked], kind=AttachmentKind.RESULT, user=ctx.actor)
    stored.signature_report = _verify(signed)
    stored.save(update_fields=["signature_report"])
    Attachment.objects.filter(pk=result.pk).update(superseded_by=stored)
    if role == LEADER:
        dossier.result_signed_at = ctx.now
    else:
        dossier.result_countersigned_at = ctx.now
    ctx.attachments = [stored]
    title = SIGN_LABELS[role][0]
    ctx.note = _("%(what)s: %(signer)s, chứng thư số %(serial)s do %(issuer)s cấp.") % {
        "what": title,
        "signer": certificate.subject_cn,
        "serial": certificate.serial_number,
        "issuer": certificate.issuer,
    }
    if ctx.data["note"]:
        ctx.note += "\n" + ctx.data["note"]
    ctx.event_payload.update(
        role=role,
        signer=ctx.actor.get_username(),
        signer_name=certificate.subject_cn,
        certificate_serial=certificate.serial_number,
        certificate_subject=certificate.subject,
        certificate_issuer=certificate.issuer,
        replaces_attachment=result.pk,
        sha256=stored.sha256,
    )


# --- submit-for-approval --------------------------------------------------------------------


def _clean_submit_for_approval(payload: Mapping, dossier: Dossier, grants: Grants) -> dict:
    cleaner = Cleaner(payload)
    note = cleaner.text("note", required=True, max_length=4000)
    cleaner.raise_if_errors()
    upload = single_upload(payload, "draft_file")
    checked = None
    if upload is not None:
        checked = check_file(
            upload, field="draft_file", accepted=["application/pdf"], document_code="du-thao"
        )
        check_total([checked], dossier)
    return {"note": note, "checked": checked}


def _submit_for_approval(ctx: Context) -> None:
    if ctx.data["checked"] is not None:
        ctx.attachments = store_all(
            ctx.writer,
            ctx.dossier,
            [ctx.data["checked"]],
            kind=AttachmentKind.DRAFT,
            user=ctx.actor,
        )
    ctx.dossier.approval_requested_at = ctx.now
    ctx.note = ctx.data["note"]
    ctx.event_payload["proposal"] = ctx.data["note"]


register(
    Action(
        EventAction.SIGN,
        frozenset({Status.RESULT_READY}),
        None,
        may_sign,
        _clean_sign,
        _sign,
        offered=has_signature_to_add,
    )
)
register(
    Action(
        EventAction.SUBMIT_FOR_APPROVAL,
        frozenset({Status.PROCESSING}),
        None,
        holding_specialist,
        _clean_submit_for_approval,
        _submit_for_approval,
        public=False,
    )
)


# --- pages ----------------------------------------------------------------------------------


def citizen_files(attachments: list[Attachment]) -> list[Attachment]:
    """What the applicant sees: no internal drafts, no result replaced by its signed copy."""
    return [a for a in attachments if a.kind != AttachmentKind.DRAFT and a.superseded_by_id is None]


def result_verification(attachments: list[Attachment]) -> dict | None:
    """The stored verification of the current result (no query, no re-verification): each
    signature's signer, time and verdict in plain Vietnamese, or None when nothing is stored."""
    from django.utils.dateparse import parse_datetime

    from signatures.verdicts import verdict_explanation, verdict_label

    results = [
        a for a in attachments if a.kind == AttachmentKind.RESULT and a.superseded_by_id is None
    ]
    if not results:
        return None
    result = results[-1]
    report = result.signature_report
    if not isinstance(report, dict):
        return {"attachment": result, "verdict": "unsigned", "signatures": [],
                "label": verdict_label("unsigned"),
                "explanation": verdict_explanation("unsigned", overall=True)}  # fmt: skip
    signatures = []
    for sig in report.get("signatures") or []:
        signatures.append(
            {
                **sig,
                "signing_time": parse_datetime(sig["signing_time"])
                if sig.get("signing_time")
                else None,
                "label": verdict_label(sig.get("verdict", "")),
                "explanation": verdict_explanation(sig.get("verdict", "")),
            }
        )
    verdict = report.get("verdict", "")
    return {
        "attachment": result,
        "verdict": verdict,
        "signatures": signatures,
        "label": verdict_label(verdict),
        "explanation": verdict_explanation(verdict, overall=True),
    }
