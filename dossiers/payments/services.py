"""Business rules of online payments: starting a payment, settling what a gateway reports
(return URL, webhook, reconciliation — in any order, any number of times), and requesting the
filing fee of a level-4 dossier received before it was paid.

Exactly once: every settlement locks the dossier row, then the transaction row, and decides on
what it finds there. A success pays the dossier's *current due* (``dues.current_due``) when the
amount matches; the due's history row is stored as ``paid_event``, unique among successful
payments (a database constraint), so a due is paid once and the dossier moves on once:
``confirm-payment`` 6 → 4 through the transition service, or — for the fee due at filing — the
"intake release" (a ``confirm-payment`` history row on the status-1 dossier, and the intake
deadline counted again from the payment). A success that finds nothing left to pay (a double
payment, a withdrawn dossier, another amount) is marked ``refunded`` with an audit line; the
dossier is not touched. Failures and expiries never undo a success; a later success after a
failure or an expiry counts.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dossiers import deadlines, workflow
from dossiers.errors import DossierError, InvalidState, NotAllowed
from dossiers.events import record_event
from dossiers.models import Dossier, EventAction, Status
from dossiers.models_payments import (
    UNSETTLED_STATUSES,
    PaymentAuditEntry,
    PaymentPurpose,
    PaymentStatus,
    PaymentTransaction,
)
from dossiers.payments import dues, system_actor
from dossiers.payments.gateways import (
    GatewayError,
    GatewayResult,
    PaymentOrder,
    default_gateway_name,
    gateway_label,
    get_gateway,
    is_registered,
)
from dossiers.payments.words import vnd

logger = logging.getLogger("dossiers.payments")


class UnknownTransaction(DossierError):
    status_code = 404
    default_message = gettext_lazy("Không tìm thấy giao dịch thanh toán.")


class AmountMismatch(DossierError):
    status_code = 409
    default_message = gettext_lazy("Số tiền cổng thanh toán báo không khớp với giao dịch.")


class GatewayUnavailable(DossierError):
    status_code = 503
    default_message = gettext_lazy(
        "Cổng thanh toán tạm thời không phản hồi. Vui lòng thử lại sau ít phút."
    )


@dataclass(frozen=True)
class Started:
    payment: PaymentTransaction
    redirect_url: str


@dataclass(frozen=True)
class Settlement:
    """``result``: applied, refunded, failed, expired, pending, duplicate or amount_mismatch."""

    result: str
    payment: PaymentTransaction


def expire_after() -> datetime.timedelta:
    return datetime.timedelta(minutes=int(getattr(settings, "PAYMENTS_EXPIRE_AFTER_MINUTES", 60)))


def base_url() -> str:
    return str(getattr(settings, "PORTAL_BASE_URL", "http://127.0.0.1:8000")).rstrip("/")


def return_url(gateway_name: str) -> str:
    return base_url() + reverse("payments:return", args=[gateway_name])


REFERENCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def valid_reference(reference: str) -> bool:
    """Our references: 6-40 upper-case letters and digits (anything else is not ours)."""
    return 6 <= len(reference or "") <= 40 and set(reference) <= REFERENCE_CHARS


def new_reference(now: datetime.datetime) -> str:
    """``TT2503031A2B3C4D5E6F``: date for people, 48 random bits so nobody can guess one."""
    return f"TT{timezone.localtime(now):%y%m%d}{secrets.token_hex(6).upper()}"


def audit(
    kind: str,
    *,
    source: str,
    payment: PaymentTransaction | None = None,
    reference: str = "",
    dossier_id: int | None = None,
    note: str = "",
    data: dict | None = None,
    actor=None,
    remote: str = "",
) -> PaymentAuditEntry:
    """Append one line to the payments' audit trail."""
    reference = (reference or (payment.reference if payment else "")).replace("\x00", "")
    return PaymentAuditEntry.objects.create(
        payment=payment,
        reference=reference[:100],
        dossier_id=dossier_id or (payment.dossier_id if payment else None),
        at=timezone.now(),
        source=source,
        kind=kind,
        note=str(note).replace("\x00", ""),
        data=data or {},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        remote_addr=(remote or "")[:64],
    )


# --- starting a payment ---------------------------------------------------------------------


def start_payment(dossier_ref, user, *, gateway_name: str | None = None) -> Started:
    """Open a transaction for what ``dossier_ref`` owes now and register it at the gateway.

    Only the owner pays online (NotAllowed for staff, NotFound for anybody who cannot see the
    dossier); InvalidState when nothing is due; GatewayUnavailable when the gateway fails
    (the transaction is then marked failed, so the payer can simply try again)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAllowed(_("Vui lòng đăng nhập để thanh toán."))
    name = gateway_name or default_gateway_name()
    if not is_registered(name):
        raise GatewayUnavailable(_("Chưa cấu hình cổng thanh toán trực tuyến."))
    gateway = get_gateway(name)
    now = timezone.now()
    with transaction.atomic():
        dossier = workflow.find_visible(dossier_ref, user, lock=True)
        if dossier.applicant_id is None or dossier.applicant_id != user.pk:
            raise NotAllowed(_("Chỉ người nộp hồ sơ mới thanh toán trực tuyến cho hồ sơ này."))
        due = dues.current_due(dossier)
        if due is None:
            raise InvalidState(_("Hồ sơ không có khoản phí, lệ phí nào đang chờ thanh toán."))
        payment = PaymentTransaction.objects.create(
            dossier=dossier,
            reference=new_reference(now),
            gateway=name,
            purpose=due.purpose,
            amount_vnd=due.amount_vnd,
            fee_items=due.fee_items,
            description=(_("Thanh toán phí, lệ phí hồ sơ %(code)s") % {"code": dossier.code})[:255],
            payer=user,
            payer_name=(user.get_full_name() or dossier.applicant_name)[:200],
            due_event_id=due.event_id,
        )
        audit(
            "started",
            source="citizen",
            payment=payment,
            actor=user,
            data={"amount_vnd": payment.amount_vnd, "purpose": payment.purpose},
        )
    order = PaymentOrder(
        reference=payment.reference,
        amount_vnd=payment.amount_vnd,
        description=payment.description,
        return_url=return_url(name),
        payer_name=payment.payer_name,
        expires_at=now + expire_after(),
    )
    try:
        started = gateway.start(order)
    except GatewayError as exc:
        logger.warning("payment %s: gateway %s refused to start: %s", payment.reference, name, exc)
        with transaction.atomic():
            PaymentTransaction.objects.filter(pk=payment.pk, status=PaymentStatus.INITIATED).update(
                status=PaymentStatus.FAILED,
                status_message=_("Không kết nối được cổng thanh toán."),
                settled_at=timezone.now(),
            )
            audit("start_failed", source="gateway", payment=payment, note=str(exc)[:500])
        raise GatewayUnavailable() from exc
    if started.gateway_transaction_id:
        PaymentTransaction.objects.filter(pk=payment.pk).update(
            gateway_transaction_id=started.gateway_transaction_id
        )
        payment.gateway_transaction_id = started.gateway_transaction_id
    return Started(payment=payment, redirect_url=started.redirect_url)


# --- settling what a gateway reports --------------------------------------------------------


def _locate(result: GatewayResult, gateway_name: str, source: str, remote: str) -> dict:
    row = (
        PaymentTransaction.objects.filter(reference=result.reference)
        .values("pk", "dossier_id", "gateway")
        .first()
        if valid_reference(result.reference)
        else None
    )
    if row is None or row["gateway"] != gateway_name:
        audit(
            "unknown_transaction",
            source=source,
            reference=result.reference,
            dossier_id=row["dossier_id"] if row else None,
            note=_("Cổng %(gateway)s báo kết quả của một giao dịch không có.")
            % {"gateway": gateway_name},
            data={"outcome": result.outcome, "amount_vnd": result.amount_vnd},
            remote=remote,
        )
        raise UnknownTransaction()
    return row


def settle(
    result: GatewayResult, *, gateway_name: str, source: str, remote: str = ""
) -> Settlement:
    """Apply one verified report of ``gateway_name`` about one of our payments (see module doc).
    Raises UnknownTransaction (404) and AmountMismatch (409), each with an audit line."""
    row = _locate(result, gateway_name, source, remote)
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure_version")
            .get(pk=row["dossier_id"])
        )
        payment = PaymentTransaction.objects.select_for_update().get(pk=row["pk"])
        payment.dossier = dossier
        if result.amount_vnd is not None and result.amount_vnd != payment.amount_vnd:
            settlement = _amount_mismatch(payment, result, source, remote)
        elif result.outcome == "succeeded":
            settlement = _succeed(dossier, payment, result, source, remote)
        elif result.outcome in ("failed", "expired"):
            settlement = _fail(payment, result, source, remote)
        else:
            settlement = Settlement("pending", payment)
    if settlement.result == "amount_mismatch":
        # Raised after the commit, so the audit line (and the refund mark) stay.
        raise AmountMismatch()
    return settlement


def _amount_mismatch(payment, result, source: str, remote: str) -> Settlement:
    data = {"reported_vnd": result.amount_vnd, "expected_vnd": payment.amount_vnd}
    if result.outcome == "succeeded" and payment.status in UNSETTLED_STATUSES:
        # Money the gateway took is not what was due: it goes back, the dossier does not move.
        _refund(
            payment,
            _("Cổng thanh toán báo số tiền %(reported)s, khác số tiền phải nộp %(expected)s.")
            % {"reported": vnd(result.amount_vnd), "expected": vnd(payment.amount_vnd)},
            result,
            source,
            remote,
            kind="amount_mismatch",
            data=data,
        )
    else:
        audit("amount_mismatch", source=source, payment=payment, data=data, remote=remote)
    return Settlement("amount_mismatch", payment)


def _fail(payment, result, source: str, remote: str) -> Settlement:
    if payment.status != PaymentStatus.INITIATED:
        audit("repeat", source=source, payment=payment, data={"outcome": result.outcome})
        return Settlement("duplicate", payment)
    payment.status = PaymentStatus.EXPIRED if result.outcome == "expired" else PaymentStatus.FAILED
    payment.status_message = (result.message or "")[:255]
    payment.settled_at = timezone.now()
    if result.gateway_transaction_id and not payment.gateway_transaction_id:
        payment.gateway_transaction_id = result.gateway_transaction_id[:100]
    payment.save(
        update_fields=[
            "status",
            "status_message",
            "settled_at",
            "gateway_transaction_id",
            "updated_at",
        ]
    )
    audit(str(payment.status), source=source, payment=payment, note=payment.status_message)
    return Settlement(str(payment.status), payment)


def _refund(payment, reason: str, result, source, remote, *, kind="refunded", data=None) -> None:
    payment.status = PaymentStatus.REFUNDED
    payment.status_message = reason[:255]
    payment.settled_at = timezone.now()
    payment.paid_at = result.occurred_at or payment.settled_at
    if result.gateway_transaction_id and not payment.gateway_transaction_id:
        payment.gateway_transaction_id = result.gateway_transaction_id[:100]
    payment.save(
        update_fields=[
            "status",
            "status_message",
            "settled_at",
            "paid_at",
            "gateway_transaction_id",
            "updated_at",
        ]
    )
    audit(kind, source=source, payment=payment, note=reason, data=data, remote=remote)
    logger.warning("payment %s marked for refund: %s", payment.reference, reason)


def _succeed(dossier: Dossier, payment, result, source: str, remote: str) -> Settlement:
    if payment.status not in UNSETTLED_STATUSES:
        audit("repeat", source=source, payment=payment, data={"outcome": "succeeded"})
        return Settlement("duplicate", payment)
    due = dues.current_due(dossier)
    moves = True
    if due is not None and due.amount_vnd == payment.amount_vnd:
        event_id, purpose = due.event_id, due.purpose
    elif _late_filing_fee(dossier, payment, due):
        # Paid at status 1, confirmed after the desk's intake (before its automatic request).
        event_id, purpose, moves = payment.due_event_id, PaymentPurpose.FILING, False
    else:
        if due is None and dossier.paid_online:
            reason = _("Hồ sơ đã được thanh toán; khoản nộp trùng được hoàn trả.")
        elif due is None:
            reason = _("Hồ sơ không còn chờ thanh toán; khoản nộp được hoàn trả.")
        else:
            reason = _("Số tiền đã nộp khác khoản đang phải nộp; khoản nộp được hoàn trả.")
        _refund(payment, reason, result, source, remote)
        return Settlement("refunded", payment)

    now = timezone.now()
    payment.status = PaymentStatus.SUCCEEDED
    payment.purpose = purpose
    payment.paid_event_id = event_id
    payment.paid_at = result.occurred_at or now
    payment.settled_at = now
    payment.status_message = (result.message or "")[:255]
    if result.gateway_transaction_id:
        payment.gateway_transaction_id = result.gateway_transaction_id[:100]
    payment.save()
    Dossier.objects.filter(pk=dossier.pk).update(paid_online=True)
    dossier.paid_online = True

    from dossiers.payments import receipts

    receipt = receipts.issue(payment, now)
    actor = system_actor.system_actor_for(dossier.receiving_agency_id)
    label = gateway_label(payment.gateway)
    note = _("Đã thanh toán trực tuyến %(amount)s qua %(gateway)s, mã giao dịch %(reference)s.") % {
        "amount": vnd(payment.amount_vnd),
        "gateway": label,
        "reference": payment.reference,
    }
    if moves and dossier.status == Status.PAYMENT_REQUESTED:
        workflow.transition(
            dossier.pk,
            EventAction.CONFIRM_PAYMENT,
            actor,
            receipt_number=receipt.number,
            note=note,
        )
    else:
        _release(dossier, payment, receipt.number, actor, note, now)
    audit(
        "succeeded",
        source=source,
        payment=payment,
        remote=remote,
        data={"receipt": receipt.number, "paid_event": event_id, "purpose": purpose},
    )
    receipt_id = receipt.pk
    transaction.on_commit(lambda: _enqueue_receipt(receipt_id))
    return Settlement("applied", payment)


def _late_filing_fee(dossier: Dossier, payment, due) -> bool:
    return (
        due is None
        and payment.purpose == PaymentPurpose.FILING
        and dossier.status in (Status.RECEIVED, Status.PROCESSING)
        and dues.filing_fee_applies(dossier)
        and payment.amount_vnd == dossier.fee_vnd
        and not dues.filing_fee_settled(dossier)
    )


def _release(dossier: Dossier, payment, receipt_number: str, actor, note: str, now) -> None:
    """The fee due at filing is paid: one history row, and before intake the intake deadline
    is counted again from the payment (the desk waited for the citizen, not the reverse)."""
    if dossier.status == Status.SUBMITTED:
        renewed = deadlines.intake_deadline(now)
        if dossier.intake_due_at is None or renewed > dossier.intake_due_at:
            dossier.intake_due_at = renewed
            Dossier.objects.filter(pk=dossier.pk).update(intake_due_at=renewed)
    record_event(
        dossier,
        action=EventAction.CONFIRM_PAYMENT,
        actor=actor,
        at=now,
        from_status=dossier.status,
        from_agency_id=dossier.current_agency_id,
        note=note,
        payload={
            "amount": payment.amount_vnd,
            "receipt_number": receipt_number,
            "reference": payment.reference,
        },
    )


def _enqueue_receipt(receipt_id: int) -> None:
    from dossiers.payment_tasks import render_receipt

    try:
        render_receipt.delay(receipt_id)
    except Exception:  # the broker is down: the receipt renders on its first download
        logger.exception("could not enqueue the rendering of receipt %s", receipt_id)


# --- the filing fee of a dossier received before it was paid --------------------------------


def request_unpaid_filing_fee(dossier_id: int) -> Dossier | None:
    """After the intake of a level-4 dossier whose fee was not paid online: request it
    (status 6, the clock stops) as the payments system. No-op in every other case."""
    with transaction.atomic():
        dossier = (
            Dossier.objects.select_for_update(of=("self",))
            .select_related("procedure_version")
            .filter(pk=dossier_id)
            .first()
        )
        if (
            dossier is None
            or dossier.status != Status.RECEIVED
            or not dues.filing_fee_applies(dossier)
            or dues.filing_fee_settled(dossier)
        ):
            return None
        actor = system_actor.system_actor_for(dossier.current_agency_id)
        return workflow.transition(
            dossier.pk,
            EventAction.REQUEST_PAYMENT,
            actor,
            amount=dossier.fee_vnd,
            reason=_(
                "Nộp phí, lệ phí của thủ tục (dịch vụ công trực tuyến toàn trình) chưa được "
                "thanh toán khi nộp hồ sơ."
            ),
        )
