"""Citizen dossiers (hồ sơ): the dossier itself, its attachments, its append-only history (the
electronic Mẫu 05), its notifications and rating, and the counter that allocates codes.

Business rules live in ``filing.py``, ``workflow.py`` and ``deadlines.py``; this module holds
data, constraints and the permission querysets.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from portal.models import Agency, citizen_id_validator, phone_validator
from portal.permissions import ScopedQuerySet, grants_for


class Status(models.IntegerChoices):
    """Codes shared with the national portal sync (domain.md)."""

    SUBMITTED = 1, _("Mới đăng ký")
    RECEIVED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT_REQUESTED = 5, _("Yêu cầu bổ sung giấy tờ")
    PAYMENT_REQUESTED = 6, _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân yêu cầu rút hồ sơ")
    SUSPENDED = 8, _("Dừng xử lý")
    RESULT_READY = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


#: Statuses in which the dossier's clock runs.
RUNNING_STATUSES = frozenset({Status.RECEIVED, Status.PROCESSING})
#: Statuses in which the clock is stopped and the paused time is added back on resume.
PAUSED_STATUSES = frozenset(
    {Status.SUPPLEMENT_REQUESTED, Status.PAYMENT_REQUESTED, Status.SUSPENDED}
)
FINAL_STATUSES = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.RETURNED})
#: Not final and not yet decided: the dossier is still "in process".
OPEN_STATUSES = frozenset({Status.SUBMITTED}) | RUNNING_STATUSES | PAUSED_STATUSES


class FilingChannel(models.TextChoices):
    ONLINE = "online", _("Trực tuyến")
    DIRECT = "direct", _("Trực tiếp")
    POSTAL = "postal", _("Qua bưu chính công ích")


class ResultDelivery(models.TextChoices):
    DESK = "desk", _("Nhận tại bộ phận một cửa")
    POST = "post", _("Nhận qua bưu chính")


class DossierQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> DossierQuerySet:
        """Superusers: all. Staff: dossiers received, held or returned by one of their agencies.
        Citizens: their own. Anonymous: none (public tracking has its own endpoint)."""
        grants = grants_for(user)
        if not grants.is_authenticated:
            return self.none()
        if grants.is_superuser:
            return self.all()
        condition = Q(applicant_id=grants.user_id)
        agencies = grants.agency_ids
        if agencies:
            condition |= (
                Q(receiving_agency_id__in=agencies)
                | Q(current_agency_id__in=agencies)
                | Q(returning_agency_id__in=agencies)
                | Q(deciding_agency_id__in=agencies)
            )
        return self.filter(condition)

    def actionable_by(self, user) -> DossierQuerySet:
        """Dossiers on which ``user`` has at least one action to take now (the queues)."""
        grants = grants_for(user)
        if not grants.is_authenticated:
            return self.none()
        if grants.is_superuser:
            return self.filter(status__in=OPEN_STATUSES | {Status.RESULT_READY})
        condition = Q(
            applicant_id=grants.user_id,
            status__in=[
                Status.SUBMITTED,
                Status.RECEIVED,
                Status.PROCESSING,
                Status.SUPPLEMENT_REQUESTED,
                Status.PAYMENT_REQUESTED,
            ],
        )
        agencies = grants.agency_ids
        if agencies:
            desks = grants.agencies_with("desk")
            condition |= Q(
                current_agency_id__in=agencies,
                status__in=RUNNING_STATUSES | PAUSED_STATUSES,
            )
            condition |= Q(receiving_agency_id__in=desks, status=Status.SUBMITTED)
            condition |= Q(returning_agency_id__in=desks, status=Status.RESULT_READY)
            # The deciding agency's leader signs the result after it has travelled back.
            condition |= Q(
                deciding_agency_id__in=grants.agencies_with("leader"),
                status=Status.RESULT_READY,
                result_signed_at__isnull=True,
            )
        return self.filter(condition)

    def open(self) -> DossierQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: datetime.datetime) -> DossierQuerySet:
        """Past the appointment while the clock runs (or past it when the clock stopped), or
        awaiting intake past the intake deadline. Mirrors ``deadlines.is_overdue``."""
        return self.filter(overdue_q(now))


def overdue_q(now: datetime.datetime) -> Q:
    return (
        Q(status__in=RUNNING_STATUSES, due_at__lt=now)
        | Q(status=Status.SUBMITTED, intake_due_at__lt=now)
        | Q(status__in=PAUSED_STATUSES, due_at__lt=models.F("paused_at"))
    )


def queue_indexes() -> list[models.Index]:
    """The desk queues' indexes, per agency column (``queues.AGENCY_COLUMNS``): by status and
    due date; status 1 by intake deadline; status 10 by return date, newest first. The deciding
    agency only ever has dossiers in statuses 9 and 10: it needs no intake index."""
    columns = {
        "cur": "current_agency",
        "rcv": "receiving_agency",
        "ret": "returning_agency",
        "dec": "deciding_agency",
    }
    indexes = [
        models.Index(fields=[column, "status", "due_at", "id"], name=f"dossier_queue_{short}")
        for short, column in columns.items()
    ]
    indexes += [
        models.Index(
            fields=[column, "intake_due_at", "id"],
            name=f"dossier_intake_{short}",
            condition=Q(status=1),
        )
        for short, column in columns.items()
        if short != "dec"
    ]
    indexes += [
        models.Index(
            F(column),
            F("returned_at").desc(),
            F("id").desc(),
            name=f"dossier_returned_{short}",
            condition=Q(status=10),
        )
        for short, column in columns.items()
    ]
    return indexes


class Dossier(models.Model):
    code = models.CharField(_("mã hồ sơ"), max_length=64, unique=True)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        db_index=False,  # the leading column of a composite index (Meta.indexes)
        verbose_name=_("thủ tục"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    procedure_version = models.ForeignKey(
        "procedures.ProcedureVersion",
        verbose_name=_("phiên bản thủ tục"),
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    channel = models.CharField(_("hình thức nộp"), max_length=10, choices=FilingChannel.choices)
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=False,  # the leading column of a composite index (Meta.indexes)
        verbose_name=_("tài khoản người nộp"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    applicant_name = models.CharField(_("họ và tên người nộp"), max_length=200)
    applicant_phone = models.CharField(
        _("số điện thoại"), max_length=15, validators=[phone_validator]
    )
    applicant_id_number = models.CharField(
        _("số CCCD"), max_length=12, validators=[citizen_id_validator]
    )
    applicant_address = models.CharField(_("địa chỉ"), max_length=500)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    summary = models.TextField(_("nội dung yêu cầu"), blank=True)
    receiving_agency = models.ForeignKey(
        Agency,
        db_index=False,  # the leading column of a composite index (Meta.indexes)
        verbose_name=_("nơi tiếp nhận"),
        on_delete=models.PROTECT,
        related_name="received_dossiers",
    )
    current_agency = models.ForeignKey(
        Agency,
        db_index=False,  # the leading column of a composite index (Meta.indexes)
        verbose_name=_("cơ quan đang xử lý"),
        on_delete=models.PROTECT,
        related_name="held_dossiers",
    )
    returning_agency = models.ForeignKey(
        Agency,
        db_index=False,  # the leading column of a composite index (Meta.indexes)
        verbose_name=_("nơi trả kết quả"),
        on_delete=models.PROTECT,
        related_name="returning_dossiers",
    )
    deciding_agency = models.ForeignKey(
        Agency,
        db_index=False,  # the leading column of a composite index (Meta.indexes)
        verbose_name=_("cơ quan giải quyết"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="decided_dossiers",
        help_text=_("Cơ quan có kết quả giải quyết; lãnh đạo cơ quan này ký số kết quả."),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chuyên viên xử lý"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_dossiers",
    )
    status = models.PositiveSmallIntegerField(
        _("trạng thái"), choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("ngày nộp"))
    received_at = models.DateTimeField(_("ngày tiếp nhận"), null=True, blank=True)
    intake_due_at = models.DateTimeField(_("hạn tiếp nhận"), null=True, blank=True)
    due_at = models.DateTimeField(_("ngày hẹn trả"), null=True, blank=True)
    original_due_at = models.DateTimeField(
        _("ngày hẹn trả theo quy định"),
        null=True,
        blank=True,
        help_text=_("Ngày hẹn ban đầu (cộng thời gian tạm dừng), không đổi khi xin lỗi hẹn lại."),
    )
    step_due_at = models.DateTimeField(_("hạn bước hiện tại"), null=True, blank=True)
    paused_at = models.DateTimeField(_("tạm dừng từ"), null=True, blank=True)
    paused_hours = models.DecimalField(
        _("số giờ tạm dừng"), max_digits=8, decimal_places=2, default=Decimal("0")
    )
    completed_at = models.DateTimeField(_("ngày có kết quả"), null=True, blank=True)
    returned_at = models.DateTimeField(_("ngày trả kết quả"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ngày kết thúc"), null=True, blank=True)
    result_delivery = models.CharField(
        _("hình thức nhận kết quả"),
        max_length=10,
        choices=ResultDelivery.choices,
        default=ResultDelivery.DESK,
    )
    pickup_by_post = models.BooleanField(_("bưu chính thu gom hồ sơ"), default=False)
    delivery_address = models.CharField(_("địa chỉ nhận kết quả"), max_length=500, blank=True)
    return_method = models.CharField(
        _("đã trả qua"), max_length=10, choices=ResultDelivery.choices, blank=True
    )
    result_summary = models.TextField(_("tóm tắt kết quả"), blank=True)
    approval_requested_at = models.DateTimeField(
        _("trình lãnh đạo phê duyệt lúc"), null=True, blank=True
    )
    result_signed_at = models.DateTimeField(_("lãnh đạo ký số kết quả lúc"), null=True, blank=True)
    result_countersigned_at = models.DateTimeField(
        _("văn thư ký ban hành lúc"), null=True, blank=True
    )
    fee_vnd = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), default=0)
    payment_due_vnd = models.PositiveBigIntegerField(_("số tiền phải nộp (đồng)"), default=0)
    paid_online = models.BooleanField(_("đã thanh toán trực tuyến"), default=False)
    submission_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DossierQuerySet.as_manager()

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__gte=1, status__lte=10), name="dossier_status_1_10"
            ),
            models.CheckConstraint(
                condition=~Q(result_delivery="post") | ~Q(delivery_address=""),
                name="dossier_post_needs_address",
            ),
            models.CheckConstraint(
                condition=Q(paused_hours__gte=0), name="dossier_paused_not_negative"
            ),
        ]
        indexes = [
            # The desk queues (dossiers/queues.py): one ordered index range per agency column and
            # status, in the tab's exact order (due date then id), so a page reads only its rows
            # whatever the agency's history. "Chờ tiếp nhận" is ordered by the intake deadline and
            # "Đã trả" by the return date, newest first: partial indexes on those statuses.
            *queue_indexes(),
            # "My dossiers".
            models.Index(fields=["applicant", "-submitted_at"], name="dossier_mine"),
            # Overdue sweeps look only at open dossiers.
            models.Index(
                fields=["due_at"],
                name="dossier_open_due",
                condition=Q(status__in=[2, 4, 5, 6, 8]),
            ),
            models.Index(fields=["procedure", "status"], name="dossier_procedure"),
            models.Index(fields=["submitted_at"], name="dossier_submitted"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.status in PAUSED_STATUSES


class DossierCodeCounter(models.Model):
    """Daily sequence of dossier codes per receiving agency (allocated under a row lock)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agency", "day"], name="unique_code_counter_day"),
        ]


class AttachmentKind(models.TextChoices):
    FILING = "filing", _("Thành phần hồ sơ")
    SUPPLEMENT = "supplement", _("Hồ sơ bổ sung")
    RESULT = "result", _("Kết quả giải quyết")
    DRAFT = "draft", _("Dự thảo kết quả")


class AttachmentQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> AttachmentQuerySet:
        return self.filter(dossier__in=Dossier.objects.visible_to(user).values("pk"))


class Attachment(models.Model):
    """A file of a dossier, stored privately (storages["private"]) under an unguessable name."""

    # Indexed by ``unique_attachment_content`` (dossier first): no index of its own (every file
    # of every filing took an entry in both).
    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="attachments", db_index=False
    )
    kind = models.CharField(max_length=12, choices=AttachmentKind.choices)
    document = models.ForeignKey(
        "procedures.RequiredDocument",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    document_code = models.CharField(_("mã giấy tờ"), max_length=40, blank=True)
    document_name = models.CharField(_("tên giấy tờ"), max_length=500, blank=True)
    original_name = models.CharField(_("tên tệp"), max_length=255)
    storage_name = models.CharField(max_length=255, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    #: A result replaced by its signed copy: kept (never deleted), no longer the result.
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("được thay bằng"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: The verification of the file's signatures, made when it was signed (the file never
    #: changes, so pages read this instead of re-verifying on every view).
    signature_report = models.JSONField(_("kết quả kiểm tra chữ ký số"), null=True, blank=True)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")
        ordering = ["id"]
        constraints = [
            # The same file for the same paper of the same dossier is stored once.
            models.UniqueConstraint(
                fields=["dossier", "document_code", "sha256"],
                name="unique_attachment_content",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name


class EventAction(models.TextChoices):
    SUBMIT = "submit", _("Nộp hồ sơ trực tuyến")
    RECEIVE = "receive", _("Tiếp nhận hồ sơ")
    REFUSE = "refuse", _("Từ chối tiếp nhận")
    ASSIGN = "assign", _("Phân công xử lý")
    FORWARD = "forward", _("Chuyển xử lý")
    HANDOVER = "handover", _("Giao nhận hồ sơ giữa cơ quan (liên thông)")
    REQUEST_SUPPLEMENT = "request-supplement", _("Yêu cầu bổ sung hồ sơ")
    SUPPLEMENT = "supplement", _("Bổ sung hồ sơ")
    REQUEST_PAYMENT = "request-payment", _("Yêu cầu thực hiện nghĩa vụ tài chính")
    CONFIRM_PAYMENT = "confirm-payment", _("Xác nhận đã nộp phí, lệ phí")
    SUSPEND = "suspend", _("Dừng xử lý")
    RESUME = "resume", _("Tiếp tục xử lý")
    APOLOGIZE = "apologize", _("Xin lỗi và hẹn lại ngày trả kết quả")
    SUBMIT_FOR_APPROVAL = "submit-for-approval", _("Trình lãnh đạo phê duyệt")
    COMPLETE = "complete", _("Có kết quả giải quyết")
    SIGN = "sign", _("Ký số kết quả")
    RETURN = "return", _("Trả kết quả")
    WITHDRAW = "withdraw", _("Rút hồ sơ")


class EventQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> EventQuerySet:
        return self.filter(dossier__in=Dossier.objects.visible_to(user).values("pk"))

    def public(self) -> EventQuerySet:
        return self.filter(is_public=True)


class AppendOnlyError(Exception):
    pass


class DossierEvent(models.Model):
    """One row of the process-control log (electronic Mẫu 05). Append-only: never updated or
    deleted (also enforced by a PostgreSQL trigger)."""

    # Indexed by ``dossier_event_at`` (dossier first): no index of its own.
    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="events", db_index=False
    )
    at = models.DateTimeField(_("thời điểm"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("người thực hiện"), max_length=200, blank=True)
    action = models.CharField(_("thao tác"), max_length=32)
    from_status = models.PositiveSmallIntegerField(null=True, blank=True, choices=Status.choices)
    to_status = models.PositiveSmallIntegerField(choices=Status.choices)
    from_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("ghi chú"), blank=True)
    payload = models.JSONField(default=dict, blank=True)
    attachment_ids = models.JSONField(default=list, blank=True)
    step_due_at = models.DateTimeField(_("hạn xử lý bước"), null=True, blank=True)
    is_public = models.BooleanField(default=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("lịch sử xử lý")
        verbose_name_plural = _("lịch sử xử lý (Mẫu 05)")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"], name="dossier_event_at")]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.action} {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Dossier history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Dossier history is append-only.")

    @property
    def action_label(self) -> str:
        try:
            return str(EventAction(self.action).label)
        except ValueError:
            return self.action


class NotificationChannel(models.TextChoices):
    EMAIL = "email", _("Thư điện tử")
    SMS = "sms", _("Tin nhắn SMS")


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Gửi lỗi")


class Notification(models.Model):
    """One message to the applicant about one history event, with its delivery state."""

    event = models.ForeignKey(DossierEvent, on_delete=models.PROTECT, related_name="notifications")
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="notifications")
    channel = models.CharField(max_length=8, choices=NotificationChannel.choices)
    recipient = models.CharField(_("người nhận"), max_length=254)
    subject = models.CharField(_("tiêu đề"), max_length=255, blank=True)
    body = models.TextField(_("nội dung"))
    status = models.CharField(
        max_length=8, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "channel"], name="unique_event_channel"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="notification_pending",
                condition=Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient}"


class RatingScore(models.IntegerChoices):
    """Quyết định 766 five-point satisfaction scale."""

    VERY_SATISFIED = 5, _("Rất hài lòng")
    SATISFIED = 4, _("Hài lòng")
    NEUTRAL = 3, _("Bình thường")
    DISSATISFIED = 2, _("Không hài lòng")
    VERY_DISSATISFIED = 1, _("Rất không hài lòng")


class Rating(models.Model):
    """The applicant's satisfaction with a returned dossier (once per dossier)."""

    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="rating")
    score = models.PositiveSmallIntegerField(
        _("mức độ hài lòng"),
        choices=RatingScore.choices,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    comment = models.TextField(_("góp ý"), blank=True, max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("đánh giá")
        verbose_name_plural = _("đánh giá mức độ hài lòng")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="rating_score_1_5"
            ),
        ]


# Models of the dossiers' other concerns live in their own modules, registered here.
from dossiers.models_documents import *  # noqa: E402, F403
from dossiers.models_payments import *  # noqa: E402, F403
from dossiers.models_routing import *  # noqa: E402, F403
from dossiers.models_stats import *  # noqa: E402, F403
