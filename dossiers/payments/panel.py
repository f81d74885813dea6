"""What the dossier page shows about payments: the partial ``payments/_dossier_payment.html``
and its context function ``dossier_payment_context(request, dossier)``, for the citizen's
dossier page and the desk's processing page (a constant number of queries).

Usage in a view: ``context.update(dossier_payment_context(request, dossier))``; in the template:
``{% include "payments/_dossier_payment.html" %}`` (renders nothing when there is nothing to say).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import reverse

from dossiers.models import Dossier
from dossiers.models_payments import PaymentStatus, PaymentTransaction
from dossiers.payments.dues import Due, current_due
from dossiers.payments.gateways import gateway_label

#: How many of the dossier's payments the panel lists (newest first).
HISTORY_SIZE = 20


@dataclass
class PaymentPanel:
    dossier: Dossier
    due: Due | None
    can_pay: bool
    start_url: str
    page_url: str
    payments: list[PaymentTransaction] = field(default_factory=list)
    #: The newest attempt at the current due, when it failed or expired (retry message).
    last_failure: PaymentTransaction | None = None
    #: The newest attempt at the current due, when the gateway has not answered yet.
    waiting: PaymentTransaction | None = None

    @property
    def receipts(self) -> list[PaymentTransaction]:
        return [p for p in self.payments if p.status == PaymentStatus.SUCCEEDED]

    @property
    def refunds(self) -> list[PaymentTransaction]:
        return [p for p in self.payments if p.status == PaymentStatus.REFUNDED]


def _decorate(dossier: Dossier, payments: list[PaymentTransaction]) -> None:
    labels: dict[str, str] = {}
    for payment in payments:
        if payment.gateway not in labels:
            labels[payment.gateway] = gateway_label(payment.gateway)
        payment.gateway_label = labels[payment.gateway]
        receipt = getattr(payment, "receipt", None) if payment.status == "succeeded" else None
        payment.receipt_number = receipt.number if receipt is not None else ""
        payment.receipt_url = (
            reverse("payments:receipt", args=[dossier.code, payment.reference])
            if receipt is not None
            else ""
        )


def payment_panel(dossier: Dossier, user) -> PaymentPanel | None:
    """The panel of ``dossier`` for ``user`` (who may see it), or None when empty."""
    due = current_due(dossier)
    payments = list(
        PaymentTransaction.objects.filter(dossier_id=dossier.pk)
        .select_related("receipt")
        .order_by("-created_at", "-id")[:HISTORY_SIZE]
    )
    if due is None and not payments:
        return None
    _decorate(dossier, payments)
    panel = PaymentPanel(
        dossier=dossier,
        due=due,
        can_pay=due is not None
        and dossier.applicant_id is not None
        and dossier.applicant_id == getattr(user, "pk", None),
        start_url=reverse("payments:start", args=[dossier.code]),
        page_url=reverse("payments:dossier", args=[dossier.code]),
        payments=payments,
    )
    if due is not None:
        attempts = [p for p in payments if p.due_event_id == due.event_id]
        latest = attempts[0] if attempts else None
        if latest is not None and latest.status in (PaymentStatus.FAILED, PaymentStatus.EXPIRED):
            panel.last_failure = latest
        elif latest is not None and latest.status == PaymentStatus.INITIATED:
            panel.waiting = latest
    return panel


def dossier_payment_context(request, dossier: Dossier) -> dict:
    """``{"payment_panel": PaymentPanel | None}`` for the partial."""
    return {"payment_panel": payment_panel(dossier, getattr(request, "user", None))}


def payment_panel_provider(request, dossier: Dossier, audience: str):
    """The payment panel on the owner's and the staff's dossier pages (settings.DOSSIER_PANELS)."""
    from dossiers.panels import Panel

    if audience == "public":
        return None
    context = dossier_payment_context(request, dossier)
    if context["payment_panel"] is None:
        return None
    return Panel(
        template="payments/_dossier_payment.html", context=context, stylesheet="css/payments.css"
    )
