"""Postal pickup and return (dịch vụ bưu chính công ích, Quyết định 45/2016/QĐ-TTg).

A ``Shipment`` carries a dossier's papers from the citizen to the desk (pickup) or its result
from the desk to the citizen (delivery). Its status only moves forward (``RANK``); every status
report, applied or not, is one append-only ``ShipmentEvent`` whose ``event_id`` is unique, so a
replayed webhook changes nothing. A shipment in ``pending_creation`` is the outbox row: written
in the same transaction that decides the shipment, relayed to the carrier by a task and retried
by a periodic sweep.

Business rules live in ``services.py`` (creation, cancellation), ``tracking.py`` (applying
carrier events) and ``listeners.py`` (reacting to dossier events); this module holds data,
constraints and the permission querysets.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import AdministrativeUnit, Agency, Role, UnitLevel
from portal.permissions import ScopedQuerySet, grants_for


class Direction(models.TextChoices):
    PICKUP = "pickup", _("Thu gom hồ sơ")
    DELIVERY = "delivery", _("Chuyển phát kết quả")


class ShipmentStatus(models.TextChoices):
    PENDING_CREATION = "pending_creation", _("Chờ tạo vận đơn")
    CREATED = "created", _("Đã tạo vận đơn")
    ACCEPTED = "accepted", _("Bưu chính đã nhận yêu cầu")
    PICKED_UP = "picked_up", _("Đã lấy hàng")
    IN_TRANSIT = "in_transit", _("Đang vận chuyển")
    FAILED = "failed", _("Phát không thành công")
    DELIVERED = "delivered", _("Đã phát thành công")
    RETURNED = "returned", _("Đã chuyển hoàn")
    CANCELLED = "cancelled", _("Đã hủy")


#: The order statuses move in. An event whose rank is not above the current one is recorded in
#: the history but does not change the status, so late or out-of-order reports never move a
#: shipment backwards. A failed attempt may still end delivered or returned.
RANK: dict[str, int] = {
    ShipmentStatus.PENDING_CREATION: 0,
    ShipmentStatus.CREATED: 10,
    ShipmentStatus.ACCEPTED: 20,
    ShipmentStatus.PICKED_UP: 30,
    ShipmentStatus.IN_TRANSIT: 40,
    ShipmentStatus.FAILED: 50,
    ShipmentStatus.DELIVERED: 60,
    ShipmentStatus.RETURNED: 60,
    ShipmentStatus.CANCELLED: 90,
}
TERMINAL_STATUSES = frozenset(
    {ShipmentStatus.DELIVERED, ShipmentStatus.RETURNED, ShipmentStatus.CANCELLED}
)
#: Statuses a carrier may report through the webhook.
CARRIER_STATUSES = frozenset(
    {
        ShipmentStatus.CREATED,
        ShipmentStatus.ACCEPTED,
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.FAILED,
        ShipmentStatus.DELIVERED,
        ShipmentStatus.RETURNED,
        ShipmentStatus.CANCELLED,
    }
)
#: With the carrier but not finished: the reconciliation task polls these when webhooks are late.
IN_FLIGHT_STATUSES = frozenset(
    {
        ShipmentStatus.CREATED,
        ShipmentStatus.ACCEPTED,
        ShipmentStatus.PICKED_UP,
        ShipmentStatus.IN_TRANSIT,
        ShipmentStatus.FAILED,
    }
)


class TariffZone(models.TextChoices):
    LOCAL = "local", _("Nội huyện/nội thành")
    PROVINCE = "province", _("Nội tỉnh")
    NATIONAL = "national", _("Liên tỉnh")


class TariffRate(models.Model):
    """Postage of one zone (the carrier's public tariff, edited by administrators). When the
    table is empty the ``POSTAL_TARIFF`` setting applies."""

    zone = models.CharField(_("vùng tính cước"), max_length=10, choices=TariffZone.choices)
    postage_vnd = models.PositiveBigIntegerField(_("cước (đồng)"))
    valid_from = models.DateField(_("áp dụng từ"))
    note = models.CharField(_("ghi chú"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("biểu cước bưu chính")
        verbose_name_plural = _("biểu cước bưu chính")
        ordering = ["zone", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["zone", "valid_from"], name="unique_tariff_zone_day")
        ]

    def __str__(self) -> str:
        return f"{self.get_zone_display()}: {self.postage_vnd:,} đ"


class AgencyPostalAddress(models.Model):
    """Where the post collects results from and brings collected dossiers to, for one desk."""

    agency = models.OneToOneField(
        Agency, verbose_name=_("cơ quan"), on_delete=models.CASCADE, related_name="postal_address"
    )
    street = models.CharField(_("số nhà, đường"), max_length=300)
    commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("xã/phường/thị trấn"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": UnitLevel.COMMUNE},
    )
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("địa chỉ bưu chính của cơ quan")
        verbose_name_plural = _("địa chỉ bưu chính của cơ quan")

    def __str__(self) -> str:
        return f"{self.agency}: {self.street}, {self.commune}"


class ShipmentQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> ShipmentQuerySet:
        """Exactly the shipments of the dossiers ``user`` may see (owner or staff in scope)."""
        from dossiers.models import Dossier

        grants = grants_for(user)
        if not grants.is_authenticated:
            return self.none()
        if grants.is_superuser:
            return self.all()
        return self.filter(dossier__in=Dossier.objects.visible_to(user).values("pk"))

    def actionable_by(self, user) -> ShipmentQuerySet:
        """Shipments the desk of their handling agency may act on (create, cancel, hand over)."""
        grants = grants_for(user)
        if grants.is_superuser:
            return self.all()
        return self.filter(agency_id__in=grants.agencies_with(Role.DESK))

    def in_flight(self) -> ShipmentQuerySet:
        return self.filter(status__in=IN_FLIGHT_STATUSES)


def _reference() -> str:
    return uuid.uuid4().hex


class Shipment(models.Model):
    """One parcel between a citizen and a desk, handled by a carrier under a waybill."""

    dossier = models.ForeignKey(
        "dossiers.Dossier",
        verbose_name=_("hồ sơ"),
        on_delete=models.PROTECT,
        related_name="shipments",
    )
    direction = models.CharField(_("chiều"), max_length=10, choices=Direction.choices)
    #: The desk that hands the result over (delivery) or receives the papers (pickup).
    agency = models.ForeignKey(
        Agency, verbose_name=_("bộ phận một cửa"), on_delete=models.PROTECT, related_name="+"
    )
    carrier = models.CharField(_("đơn vị bưu chính"), max_length=30)
    #: Our idempotency key at the carrier: creating twice with it returns the same waybill.
    reference = models.CharField(max_length=32, unique=True, default=_reference, editable=False)
    waybill = models.CharField(_("số vận đơn"), max_length=40, unique=True, null=True, blank=True)
    order_number = models.CharField(_("số đơn hàng (mã hồ sơ)"), max_length=64)
    status = models.CharField(
        _("trạng thái"),
        max_length=20,
        choices=ShipmentStatus.choices,
        default=ShipmentStatus.PENDING_CREATION,
    )
    sender_name = models.CharField(_("người gửi"), max_length=255)
    sender_phone = models.CharField(_("điện thoại người gửi"), max_length=30, blank=True)
    sender_street = models.CharField(_("địa chỉ người gửi"), max_length=500)
    sender_commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("xã/phường người gửi"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    receiver_name = models.CharField(_("người nhận"), max_length=255)
    receiver_phone = models.CharField(_("điện thoại người nhận"), max_length=30, blank=True)
    receiver_street = models.CharField(_("địa chỉ người nhận"), max_length=500)
    receiver_commune = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("xã/phường người nhận"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    tariff_zone = models.CharField(_("vùng tính cước"), max_length=10, choices=TariffZone.choices)
    postage_vnd = models.PositiveBigIntegerField(_("cước bưu chính (đồng)"), default=0)
    fees_vnd = models.PositiveBigIntegerField(_("phí, lệ phí bưu chính thu hộ (đồng)"), default=0)
    #: What the postman collects from the citizen: postage, plus the fees when chosen.
    collect_vnd = models.PositiveBigIntegerField(_("số tiền thu hộ (đồng)"), default=0)
    failure_reason = models.CharField(_("lý do phát không thành công"), max_length=500, blank=True)
    handover_date = models.DateField(_("ngày bàn giao cho bưu chính"), null=True, blank=True)
    last_event_at = models.DateTimeField(_("cập nhật lần cuối từ bưu chính"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("thời điểm phát"), null=True, blank=True)
    #: Last time reconciliation asked the carrier (so a silent parcel is polled once per period).
    polled_at = models.DateTimeField(null=True, blank=True)
    #: Outbox bookkeeping: carrier calls attempted, when to try again, the last error.
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("bưu gửi")
        verbose_name_plural = _("bưu gửi")
        ordering = ["created_at", "id"]
        constraints = [
            # One live shipment per dossier and direction (a cancelled one may be replaced).
            models.UniqueConstraint(
                fields=["dossier", "direction"],
                condition=~Q(status="cancelled"),
                name="unique_live_shipment_per_direction",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending_creation", "cancelled"])
                | Q(waybill__isnull=False),
                name="shipment_waybill_once_created",
            ),
            models.CheckConstraint(
                condition=Q(collect_vnd__gte=models.F("postage_vnd")),
                name="shipment_collect_covers_postage",
            ),
        ]
        indexes = [
            # The outbox sweep.
            models.Index(
                fields=["next_attempt_at"],
                name="shipment_outbox",
                condition=Q(status="pending_creation"),
            ),
            # The manifest: an agency's shipments handed over on a day.
            models.Index(fields=["agency", "handover_date"], name="shipment_manifest"),
            # Reconciliation: in-flight shipments whose last report is old.
            models.Index(
                fields=["last_event_at"],
                name="shipment_in_flight",
                condition=Q(
                    status__in=["created", "accepted", "picked_up", "in_transit", "failed"]
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.order_number} ({self.waybill or '—'})"

    @property
    def status_label(self) -> str:
        return str(ShipmentStatus(self.status).label)

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    @property
    def sender_address(self) -> str:
        from postal.addresses import full_address

        return full_address(self.sender_street, self.sender_commune)

    @property
    def receiver_address(self) -> str:
        from postal.addresses import full_address

        return full_address(self.receiver_street, self.receiver_commune)


class EventSource(models.TextChoices):
    SYSTEM = "system", _("Hệ thống")
    WEBHOOK = "webhook", _("Bưu chính báo")
    RECONCILE = "reconcile", _("Đối soát")


class AppendOnlyError(Exception):
    pass


class ShipmentEvent(models.Model):
    """One status report about a shipment. Append-only (a PostgreSQL trigger enforces it too);
    ``applied`` says whether it moved the shipment's status."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="events")
    event_id = models.CharField(max_length=100, unique=True)
    status = models.CharField(_("trạng thái"), max_length=20, choices=ShipmentStatus.choices)
    occurred_at = models.DateTimeField(_("thời điểm"))
    received_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("ghi chú"), max_length=500, blank=True)
    source = models.CharField(max_length=10, choices=EventSource.choices)
    applied = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("lịch sử bưu gửi")
        verbose_name_plural = _("lịch sử bưu gửi")
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["shipment", "occurred_at"], name="shipment_event_at")]

    def __str__(self) -> str:
        return f"{self.shipment_id} {self.status} {self.occurred_at:%d/%m/%Y %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Shipment history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Shipment history is append-only.")

    @property
    def status_label(self) -> str:
        return str(ShipmentStatus(self.status).label)


class AlertKind(models.TextChoices):
    DELIVERY_FAILED = "delivery_failed", _("Phát không thành công")
    RETURNED = "returned", _("Bưu gửi bị chuyển hoàn")
    CREATION_FAILED = "creation_failed", _("Không tạo được vận đơn")
    ADDRESS = "address", _("Địa chỉ cần kiểm tra")
    RETURN_NOT_RECORDED = "return_not_recorded", _("Chưa ghi nhận trả kết quả")


class AlertQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> AlertQuerySet:
        grants = grants_for(user)
        if grants.is_superuser:
            return self.all()
        return self.filter(agency_id__in=grants.agency_ids)

    def actionable_by(self, user) -> AlertQuerySet:
        grants = grants_for(user)
        if grants.is_superuser:
            return self.all()
        return self.filter(agency_id__in=grants.agencies_with(Role.DESK))

    def open(self) -> AlertQuerySet:
        return self.filter(resolved_at__isnull=True)


class ShipmentAlert(models.Model):
    """Something the desk must look at (a failed delivery, a shipment that could not be made)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="+")
    shipment = models.ForeignKey(
        Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    kind = models.CharField(_("loại"), max_length=24, choices=AlertKind.choices)
    message = models.CharField(_("nội dung"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(_("đã xử lý lúc"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AlertQuerySet.as_manager()

    class Meta:
        verbose_name = _("cảnh báo bưu chính")
        verbose_name_plural = _("cảnh báo bưu chính")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["agency", "created_at"],
                name="postal_alert_open",
                condition=Q(resolved_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class SandboxParcel(models.Model):
    """The sandbox carrier's own books (it plays the post office in the demo and tests)."""

    reference = models.CharField(max_length=64, unique=True)
    waybill = models.CharField(max_length=40, unique=True, null=True, blank=True)
    order_number = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices)
    status_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("bưu gửi (bưu chính thử nghiệm)")
        verbose_name_plural = _("bưu gửi (bưu chính thử nghiệm)")

    def __str__(self) -> str:
        return self.waybill or self.reference
