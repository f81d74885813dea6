"""Online payment of fees (service level 4): the transactions sent to a payment gateway, the
e-receipts (biên lai điện tử) of the successful ones, the payments' own audit trail, and the
books of the sandbox gateway that stands in for a real one in the demo and in tests.

Imported at the bottom of ``dossiers/models.py`` (one line) so the models belong to the
``dossiers`` app; the business rules live in ``dossiers/payments/`` (docs/payments.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dossiers.models import AppendOnlyError, Dossier, DossierEvent
from portal.permissions import ScopedQuerySet

__all__ = [
    "PaymentAuditEntry",
    "PaymentPurpose",
    "PaymentReceipt",
    "PaymentReceiptCounter",
    "PaymentStatus",
    "PaymentTransaction",
    "PaymentTransactionQuerySet",
    "SandboxPayment",
    "SandboxPaymentStatus",
]


class PaymentStatus(models.TextChoices):
    INITIATED = "initiated", _("Đang chờ thanh toán")
    SUCCEEDED = "succeeded", _("Thanh toán thành công")
    FAILED = "failed", _("Thanh toán không thành công")
    EXPIRED = "expired", _("Hết hạn thanh toán")
    REFUNDED = "refunded", _("Hoàn trả (thanh toán thừa)")


#: Outcomes that can still be overturned by a later success from the gateway.
UNSETTLED_STATUSES = frozenset(
    {PaymentStatus.INITIATED, PaymentStatus.FAILED, PaymentStatus.EXPIRED}
)


class PaymentPurpose(models.TextChoices):
    FILING = "filing", _("Phí, lệ phí nộp cùng hồ sơ (dịch vụ công mức độ 4)")
    REQUEST = "request", _("Nghĩa vụ tài chính theo yêu cầu của cơ quan giải quyết")


class PaymentTransactionQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> PaymentTransactionQuerySet:
        """Payments of the dossiers ``user`` may see (the owner, staff in scope)."""
        return self.filter(dossier__in=Dossier.objects.visible_to(user).values("pk"))

    def actionable_by(self, user) -> PaymentTransactionQuerySet:
        """Nobody changes a payment by hand: gateways and the reconciliation settle them."""
        return self.none()


class PaymentTransaction(models.Model):
    """One attempt to pay one amount for one dossier through one gateway.

    ``reference`` is ours, unguessable, and what the gateway knows the payment by (it comes
    back in the return URL and the webhook). ``due_event`` is the history row that made the
    payment due when it was started (the online submission, or a ``request-payment``);
    ``paid_event`` is the row the payment actually settled — unique among successful
    payments, so a due can never be paid twice."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="payments")
    reference = models.CharField(_("mã giao dịch"), max_length=40, unique=True)
    gateway = models.CharField(_("cổng thanh toán"), max_length=32)
    gateway_transaction_id = models.CharField(
        _("mã giao dịch tại cổng thanh toán"), max_length=100, blank=True
    )
    purpose = models.CharField(_("khoản thu"), max_length=10, choices=PaymentPurpose.choices)
    amount_vnd = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    fee_items = models.JSONField(_("các khoản phí, lệ phí"), default=list, blank=True)
    description = models.CharField(_("nội dung thanh toán"), max_length=255)
    status = models.CharField(
        _("trạng thái"),
        max_length=10,
        choices=PaymentStatus.choices,
        default=PaymentStatus.INITIATED,
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thanh toán"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payer_name = models.CharField(_("tên người nộp tiền"), max_length=200)
    due_event = models.ForeignKey(
        DossierEvent, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    paid_event = models.ForeignKey(
        DossierEvent, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status_message = models.CharField(_("thông báo của cổng"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    settled_at = models.DateTimeField(_("thời điểm ghi nhận kết quả"), null=True, blank=True)
    paid_at = models.DateTimeField(_("thời điểm thanh toán"), null=True, blank=True)
    reconcile_attempts = models.PositiveSmallIntegerField(default=0)

    objects = PaymentTransactionQuerySet.as_manager()

    class Meta:
        verbose_name = _("giao dịch thanh toán")
        verbose_name_plural = _("giao dịch thanh toán trực tuyến")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_vnd__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=PaymentStatus.values), name="payment_status_known"
            ),
            # The heart of "the dossier moves on exactly once": one success per due.
            models.UniqueConstraint(
                fields=["paid_event"],
                condition=Q(status="succeeded"),
                name="payment_one_success_per_due",
            ),
            models.CheckConstraint(
                condition=~Q(status="succeeded") | Q(paid_event__isnull=False),
                name="payment_success_has_due",
            ),
        ]
        indexes = [
            models.Index(fields=["dossier", "-created_at"], name="payment_dossier"),
            # The reconciliation sweep: old transactions still waiting for the gateway.
            models.Index(
                fields=["created_at"],
                name="payment_initiated",
                condition=Q(status="initiated"),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_final(self) -> bool:
        return self.status in {PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED}


class PaymentReceiptCounter(models.Model):
    """Yearly sequence of e-receipt numbers per series (allocated under a row lock)."""

    series = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="unique_receipt_counter"),
        ]


class PaymentReceipt(models.Model):
    """The e-receipt (biên lai điện tử) of one successful payment. The number is allocated in
    the transaction that records the success; the PDF is rendered after commit (or on the first
    download) and kept in private storage."""

    payment = models.OneToOneField(
        PaymentTransaction, on_delete=models.PROTECT, related_name="receipt"
    )
    series = models.CharField(_("ký hiệu"), max_length=20)
    number = models.CharField(_("số biên lai"), max_length=40, unique=True)
    issued_at = models.DateTimeField(_("ngày lập"))
    storage_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("biên lai điện tử")
        verbose_name_plural = _("biên lai điện tử")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.number


class PaymentAuditEntry(models.Model):
    """One line of the payments' audit trail: every start, every message from a gateway
    (accepted, repeated or refused, with why), every settlement and refund. Append-only."""

    payment = models.ForeignKey(
        PaymentTransaction,
        on_delete=models.PROTECT,
        related_name="audit",
        null=True,
        blank=True,
    )
    reference = models.CharField(max_length=100, blank=True)
    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    at = models.DateTimeField(_("thời điểm"))
    source = models.CharField(_("nguồn"), max_length=16)
    kind = models.CharField(_("sự việc"), max_length=32)
    note = models.TextField(_("ghi chú"), blank=True)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    remote_addr = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("nhật ký thanh toán")
        verbose_name_plural = _("nhật ký thanh toán")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["payment", "at"], name="payment_audit_txn"),
            models.Index(fields=["kind", "at"], name="payment_audit_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.kind} {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Payment audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Payment audit entries are append-only.")


class SandboxPaymentStatus(models.TextChoices):
    PENDING = "pending", _("Chờ người nộp chọn kết quả")
    SUCCEEDED = "succeeded", _("Thành công")
    FAILED = "failed", _("Thất bại")


class SandboxPayment(models.Model):
    """The sandbox gateway's own books: what a real gateway would keep on its side."""

    reference = models.CharField(max_length=40, unique=True)
    transaction_id = models.CharField(max_length=40, unique=True)
    amount_vnd = models.PositiveBigIntegerField()
    description = models.CharField(max_length=255)
    return_url = models.CharField(max_length=500)
    status = models.CharField(
        max_length=10, choices=SandboxPaymentStatus.choices, default=SandboxPaymentStatus.PENDING
    )
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    webhook_attempts = models.PositiveSmallIntegerField(default=0)
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("giao dịch cổng thanh toán thử nghiệm")
        verbose_name_plural = _("cổng thanh toán thử nghiệm (sandbox)")

    def __str__(self) -> str:
        return self.reference


def _install_hooks() -> None:
    # The receiver of intake, the "payment" link and the tasks (see dossiers/payments/hooks.py);
    # here because the dossiers AppConfig has no ready() hook for them.
    from dossiers.payments import hooks

    hooks.install()


_install_hooks()
