"""Data of inter-level routing (liên thông); the rules are in ``dossiers/routing.py``.

* ``DossierRoute``: the path a dossier follows, snapshotted when it is received (steps as plain
  data with the agency each resolved to), and the step it is at or heading to.
* ``Handover``: one step of the route. While ``pending`` it is the **outbox** row of the
  hand-over (written in the transaction of the transition that finished the previous step,
  delivered by a Celery task); once ``delivered`` it is the step's own record: arrival, its
  deadline in working time, when it finished, reminders and overdue marks.
* ``RoutingAlert``: a hand-over that could not happen (a path that became invalid, a delivery
  that kept failing); the dossier stays where it is until an administrator retries.
* ``DeadlineNotice``: the periodic deadline work — a reminder to the holding agency before a
  step's deadline, a step or a dossier marked overdue, a prompt to issue an apology (Mẫu 04) —
  at most once per step or per dossier (unique constraints).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier, DossierEvent
from portal.models import Agency

__all__ = [
    "DeadlineNotice",
    "DossierRoute",
    "Handover",
    "HandoverReason",
    "HandoverState",
    "NoticeKind",
    "RoutingAlert",
    "RoutingAlertKind",
]


class DossierRoute(models.Model):
    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="route")
    path = models.ForeignKey(
        "procedures.ProcessingPath",
        verbose_name=_("quy trình"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Trống: quy trình mặc định theo cấp thực hiện của thủ tục."),
    )
    #: [{"owner", "name", "agency_id", "level", "kind", "hours", "returns", "resolved_id",
    #:   "error"}, ...] — resolved at intake; re-resolved when an administrator retries.
    steps = models.JSONField(_("các bước"), default=list)
    current_step = models.PositiveSmallIntegerField(_("bước hiện tại"), default=0)
    #: Number of hand-overs written so far: makes each hand-over's idempotency key.
    sequence = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("lộ trình hồ sơ")
        verbose_name_plural = _("lộ trình hồ sơ")

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.current_step + 1}/{len(self.steps)}"


class HandoverState(models.TextChoices):
    PENDING = "pending", _("Chờ giao")
    DELIVERED = "delivered", _("Đã nhận")
    BLOCKED = "blocked", _("Không giao được")
    FAILED = "failed", _("Giao lỗi nhiều lần")
    CANCELLED = "cancelled", _("Đã huỷ")


class HandoverReason(models.TextChoices):
    INTAKE = "intake", _("Tiếp nhận")
    ROUTE = "route", _("Chuyển bước theo quy trình")
    FORWARD = "forward", _("Chuyển xử lý")
    RETURN = "return", _("Chuyển trả kết quả")


class Handover(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="handovers")
    step_index = models.PositiveSmallIntegerField(_("bước"))
    step_name = models.CharField(_("tên bước"), max_length=200, blank=True)
    reason = models.CharField(_("lý do"), max_length=10, choices=HandoverReason.choices)
    from_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(
        _("trạng thái"), max_length=10, choices=HandoverState.choices, default=HandoverState.PENDING
    )
    note = models.TextField(_("ghi chú"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: "giao": the moment the previous step handed the dossier over (the transaction's time).
    created_at = models.DateTimeField(_("giao lúc"))
    #: Re-sends by the sweeper (the first send, on commit, is not counted).
    sends = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    #: "nhận": the moment the receiving agency's queue got the dossier; the step starts.
    delivered_at = models.DateTimeField(_("nhận lúc"), null=True, blank=True)
    step_hours = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    step_due_at = models.DateTimeField(_("hạn xử lý bước"), null=True, blank=True)
    finished_at = models.DateTimeField(_("kết thúc bước lúc"), null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(_("quá hạn bước lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("giao nhận hồ sơ")
        verbose_name_plural = _("giao nhận hồ sơ (liên thông)")
        ordering = ["dossier", "id"]
        constraints = [
            # At most one hand-over in flight per dossier.
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(state="pending"), name="one_pending_handover"
            ),
        ]
        indexes = [
            # The outbox sweeper: pending rows, oldest first.
            models.Index(
                fields=["created_at"], name="handover_outbox", condition=Q(state="pending")
            ),
            # Steps in progress (reminders, overdue marks).
            models.Index(
                fields=["step_due_at"],
                name="handover_open_step",
                condition=Q(state="delivered", finished_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.to_agency_id} ({self.get_state_display()})"


class RoutingAlertKind(models.TextChoices):
    UNRESOLVED = "unresolved", _("Không xác định được cơ quan của bước tiếp theo")
    BLOCKED = "blocked", _("Cơ quan nhận không còn hợp lệ")
    DELIVERY_FAILED = "delivery_failed", _("Giao hồ sơ thất bại nhiều lần")


class RoutingAlert(models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="routing_alerts")
    handover = models.ForeignKey(
        Handover, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(_("loại"), max_length=16, choices=RoutingAlertKind.choices)
    #: What the engine was doing: ``HandoverReason`` and the route step it was heading to.
    reason = models.CharField(max_length=10, choices=HandoverReason.choices)
    step_index = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(_("nội dung"))
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("xử lý lúc"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.TextField(_("kết quả xử lý"), blank=True)

    class Meta:
        verbose_name = _("cảnh báo liên thông")
        verbose_name_plural = _("cảnh báo liên thông")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(resolved_at__isnull=True), name="one_open_alert"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.dossier_id}"


class NoticeKind(models.TextChoices):
    STEP_REMINDER = "step_reminder", _("Sắp đến hạn xử lý bước")
    STEP_OVERDUE = "step_overdue", _("Bước xử lý quá hạn")
    OVERDUE = "overdue", _("Hồ sơ quá hạn")
    APOLOGY_PROMPT = "apology_prompt", _("Cần ban hành phiếu xin lỗi, hẹn lại (Mẫu 04)")


class DeadlineNotice(models.Model):
    """A message to the staff of ``agency`` about a deadline (shown on their desk)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="deadline_notices")
    handover = models.ForeignKey(
        Handover, null=True, blank=True, on_delete=models.PROTECT, related_name="notices"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("loại"), max_length=16, choices=NoticeKind.choices)
    due_at = models.DateTimeField(_("hạn"))
    created_at = models.DateTimeField(_("lúc"), auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("nhắc hạn")
        verbose_name_plural = _("nhắc hạn, cảnh báo quá hạn")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["handover", "kind"],
                condition=Q(handover__isnull=False),
                name="one_notice_per_step",
            ),
            models.UniqueConstraint(
                fields=["dossier", "kind"],
                condition=Q(handover__isnull=True),
                name="one_notice_per_dossier",
            ),
        ]
        indexes = [models.Index(fields=["agency", "-created_at"], name="notice_agency")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.dossier_id}"


def _on_event_saved(sender, instance: DossierEvent, created: bool, **kwargs) -> None:
    """Receive and complete finish a step: plan the hand-over inside their transaction."""
    if created and instance.action in ("receive", "complete"):
        from dossiers.routing import on_step_finished

        on_step_finished(instance)


post_save.connect(_on_event_saved, sender=DossierEvent, dispatch_uid="routing_step_finished")
