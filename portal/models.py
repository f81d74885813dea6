"""The portal's core data: accounts, the administrative hierarchy, agencies and staff roles,
and the working calendar every deadline is counted in.

The hierarchy is data: units form a tree of any depth with a level label, so the 2017
three-tier layout (province, district, commune) and the 2025 two-tier layout (province,
commune) are both just rows.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.permissions import ScopedQuerySet, grants_for

phone_validator = RegexValidator(
    r"^(\+84|0)\d{9,10}$", _("Số điện thoại không hợp lệ (ví dụ: 0912345678).")
)
citizen_id_validator = RegexValidator(r"^\d{12}$", _("Số CCCD phải gồm đúng 12 chữ số."))


class User(AbstractUser):
    """A person with an account: a citizen, a member of staff, or both."""

    full_name = models.CharField(_("họ và tên"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username

    @property
    def is_staff_member(self) -> bool:
        return bool(grants_for(self).agency_ids)


class CitizenProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="citizen_profile")
    phone = models.CharField(_("số điện thoại"), max_length=15, validators=[phone_validator])
    citizen_id = models.CharField(
        _("số CCCD"), max_length=12, blank=True, validators=[citizen_id_validator]
    )
    address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    unit = models.ForeignKey(
        "AdministrativeUnit",
        verbose_name=_("đơn vị hành chính"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("hồ sơ công dân")
        verbose_name_plural = _("hồ sơ công dân")

    def __str__(self) -> str:
        return self.user.get_full_name()


class UnitLevel(models.TextChoices):
    PROVINCE = "province", _("Tỉnh/Thành phố trực thuộc TW")
    DISTRICT = "district", _("Huyện/Quận/Thị xã/TP thuộc tỉnh")
    COMMUNE = "commune", _("Xã/Phường/Thị trấn")


class AdministrativeUnitQuerySet(ScopedQuerySet):
    def current(self, on: datetime.date | None = None) -> AdministrativeUnitQuerySet:
        on = on or datetime.date.today()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=on)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=on)
        )


class AdministrativeUnit(models.Model):
    """A node of the administrative tree (province, district, commune ...)."""

    code = models.CharField(_("mã"), max_length=20, unique=True)
    name = models.CharField(_("tên"), max_length=200)
    level = models.CharField(_("cấp"), max_length=16, choices=UnitLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)

    objects = AdministrativeUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị hành chính")
        verbose_name_plural = _("đơn vị hành chính")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_range",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="unit_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> list[AdministrativeUnit]:
        """From the parent up to the root (a handful of rows: the tree is shallow)."""
        chain: list[AdministrativeUnit] = []
        node = self.parent
        while node is not None and len(chain) < 10:
            chain.append(node)
            node = node.parent
        return chain

    def ancestor_at(self, level: str) -> AdministrativeUnit | None:
        if self.level == level:
            return self
        return next((unit for unit in self.ancestors() if unit.level == level), None)

    def province(self) -> AdministrativeUnit:
        if self.level == UnitLevel.PROVINCE:
            return self
        return self.ancestor_at(UnitLevel.PROVINCE) or self


class AgencyKind(models.TextChoices):
    PEOPLES_COMMITTEE = "peoples_committee", _("Ủy ban nhân dân")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    DIVISION = "division", _("Phòng chuyên môn")
    ONE_STOP_CENTRE = "one_stop_centre", _("Trung tâm Phục vụ hành chính công / Bộ phận Một cửa")
    POST = "post", _("Bưu chính")


class Agency(models.Model):
    """A public body that receives or decides dossiers, attached to a unit of the hierarchy."""

    code = models.CharField(
        _("mã cơ quan"),
        max_length=30,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9.\-]+$", _("Mã chỉ gồm chữ, số, dấu chấm."))],
    )
    name = models.CharField(_("tên cơ quan"), max_length=255)
    short_name = models.CharField(_("tên viết tắt"), max_length=50, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        verbose_name=_("đơn vị hành chính"),
        on_delete=models.PROTECT,
        related_name="agencies",
    )
    kind = models.CharField(_("loại"), max_length=32, choices=AgencyKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("cơ quan cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    is_receiving_desk = models.BooleanField(_("là bộ phận một cửa"), default=False)
    address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=30, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    is_active = models.BooleanField(_("đang hoạt động"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cơ quan")
        verbose_name_plural = _("cơ quan")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="agency_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def level(self) -> str:
        return self.unit.level


class Role(models.TextChoices):
    DESK = "desk", _("Cán bộ một cửa")
    SPECIALIST = "specialist", _("Chuyên viên xử lý")
    LEADER = "leader", _("Lãnh đạo")
    CLERK = "clerk", _("Văn thư")
    CATALOG_ADMIN = "catalog_admin", _("Quản trị danh mục TTHC")


class StaffMembership(models.Model):
    """One role of one person in one agency. A person may hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)
    title = models.CharField(_("chức danh"), max_length=150, blank=True)
    is_active = models.BooleanField(_("đang hiệu lực"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("vai trò cán bộ")
        verbose_name_plural = _("vai trò cán bộ")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency", "role"], name="unique_membership_role"
            ),
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.agency.code}"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Ngày nghỉ")
    WORKING = "working", _("Ngày làm việc bù")


class CalendarDay(models.Model):
    """An exception to the ordinary week: a public holiday on a weekday, or a make-up working
    Saturday/Sunday (ngày làm bù). Pre-filled from a lunar-aware source, edited by admins."""

    date = models.DateField(_("ngày"), unique=True)
    kind = models.CharField(_("loại"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("tên"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("ngày đặc biệt")
        verbose_name_plural = _("lịch nghỉ lễ và làm bù")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"


class OfficeHours(models.Model):
    """Working sessions of a day (e.g. 07:00–11:30 and 13:30–17:00). Empty table = defaults."""

    start = models.TimeField(_("bắt đầu"))
    end = models.TimeField(_("kết thúc"))

    class Meta:
        verbose_name = _("giờ làm việc")
        verbose_name_plural = _("giờ làm việc")
        ordering = ["start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="session_order")
        ]

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"
