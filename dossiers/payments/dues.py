"""What a dossier owes now (the "due" a payment settles).

* **At filing** (level-4 procedures, ``online_payment`` on the version, online filing, a fee in
  the catalog channel): while the dossier waits for intake (status 1) the channel's fee is due;
  the online submission (its ``submit`` history row) identifies the due.
* **Requested by the agency** (status 6, ``request-payment``): ``Dossier.payment_due_vnd`` with
  the request's reason; the latest ``request-payment`` row identifies the due. When the
  intake of an unpaid level-4 dossier makes the payments system request the filing fee
  (``hooks.request_unpaid_filing_fee``), that request is still the filing fee.

A due is paid when a successful transaction settled it (``PaymentTransaction.paid_event``,
unique among successes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from dossiers import deadlines
from dossiers.models import Dossier, DossierEvent, EventAction, FilingChannel, Status
from dossiers.models_payments import PaymentPurpose, PaymentStatus, PaymentTransaction
from dossiers.payments import system_actor
from procedures.models import ServiceLevel


@dataclass(frozen=True)
class Due:
    event_id: int
    amount_vnd: int
    purpose: str
    reason: str
    fee_items: list[dict] = field(default_factory=list)


def filing_fee_applies(dossier: Dossier) -> bool:
    """Whether the dossier had to pay the catalog's fee online when it was filed."""
    version = dossier.procedure_version
    return (
        dossier.channel == FilingChannel.ONLINE
        and version.service_level == ServiceLevel.FULL
        and bool(version.online_payment)
        and dossier.fee_vnd > 0
    )


def filing_fee_items(dossier: Dossier) -> list[dict]:
    channel = deadlines.channel_for(dossier.procedure_version, dossier.channel)
    description = (getattr(channel, "fee_description", "") or "").strip()
    name = _("Phí, lệ phí thủ tục “%(name)s”") % {"name": dossier.procedure_version.name}
    if description:
        name = f"{name} ({description})"
    return [{"name": name, "amount_vnd": dossier.fee_vnd}]


def filing_fee_settled(dossier: Dossier) -> bool:
    return PaymentTransaction.objects.filter(
        dossier_id=dossier.pk, status=PaymentStatus.SUCCEEDED, purpose=PaymentPurpose.FILING
    ).exists()


def is_paid(event_id: int) -> bool:
    return PaymentTransaction.objects.filter(
        paid_event_id=event_id, status=PaymentStatus.SUCCEEDED
    ).exists()


def _latest(dossier: Dossier, action: str) -> DossierEvent | None:
    return (
        DossierEvent.objects.filter(dossier_id=dossier.pk, action=action)
        .select_related("actor")
        .only("id", "payload", "note", "actor__username", "dossier_id")
        .order_by("-at", "-id")
        .first()
    )


def current_due(dossier: Dossier) -> Due | None:
    """The payment ``dossier`` waits for now, or None."""
    if dossier.status == Status.PAYMENT_REQUESTED:
        event = _latest(dossier, EventAction.REQUEST_PAYMENT)
        if event is None or dossier.payment_due_vnd <= 0 or is_paid(event.pk):
            return None
        payload = event.payload if isinstance(event.payload, dict) else {}
        reason = str(payload.get("reason") or event.note or "")
        by_system = event.actor is not None and event.actor.username == system_actor.username()
        purpose = PaymentPurpose.FILING if by_system else PaymentPurpose.REQUEST
        items = (
            filing_fee_items(dossier)
            if by_system and dossier.payment_due_vnd == dossier.fee_vnd
            else [
                {"name": reason or _("Nghĩa vụ tài chính"), "amount_vnd": dossier.payment_due_vnd}
            ]
        )
        return Due(event.pk, dossier.payment_due_vnd, purpose, reason, items)
    if dossier.status == Status.SUBMITTED and filing_fee_applies(dossier):
        event = _latest(dossier, EventAction.SUBMIT)
        if event is None or is_paid(event.pk):
            return None
        reason = _("Phí, lệ phí nộp cùng hồ sơ trực tuyến")
        return Due(
            event.pk, dossier.fee_vnd, PaymentPurpose.FILING, reason, filing_fee_items(dossier)
        )
    return None
