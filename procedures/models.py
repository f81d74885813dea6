"""The catalog of administrative procedures (TTHC).

A ``Procedure`` is the stable identity (its national code); its content lives in
``ProcedureVersion`` rows. A version is edited while it is a draft and becomes immutable when
published; publishing a new version supersedes the previous one, and dossiers keep pointing at
the version they were filed under. Every publish and withdrawal leaves a ``CatalogAuditEntry``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Agency, UnitLevel
from portal.permissions import ScopedQuerySet, grants_for


class Sector(models.Model):
    """A field (lĩnh vực) such as Hộ tịch, Đất đai, Xây dựng."""

    code = models.CharField(_("mã lĩnh vực"), max_length=30, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Procedure(models.Model):
    """The stable identity of a procedure; its content is in its versions."""

    code = models.CharField(_("mã thủ tục"), max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Dossiers filed under any version; incremented by every filing, read by the home page and
    # the catalog's order. Not indexed, so that increment is a HOT update: an index on it took
    # a new entry in every index of the table per filing, and the table and its indexes bloated
    # with the dead entries (docs/performance.md). The lists sort ~1,500 rows and are cached.
    filing_count = models.PositiveIntegerField(_("số hồ sơ đã nộp"), default=0)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    PUBLISHED = "published", _("Đang công bố")
    SUPERSEDED = "superseded", _("Đã thay thế")
    WITHDRAWN = "withdrawn", _("Đã bãi bỏ")


class ServiceLevel(models.IntegerChoices):
    """Nghị định 43/2011 levels; ``online_scope`` gives the Nghị định 42/2022 name."""

    INFORMATION = 1, _("Mức độ 1 – cung cấp thông tin")
    FORMS = 2, _("Mức độ 2 – tải biểu mẫu")
    PARTIAL = 3, _("Mức độ 3 – nộp hồ sơ trực tuyến")
    FULL = 4, _("Mức độ 4 – thanh toán và nhận kết quả trực tuyến")


class ProcedureVersionQuerySet(ScopedQuerySet):
    def published(self) -> ProcedureVersionQuerySet:
        """The current public version of every procedure in force."""
        return self.filter(state=VersionState.PUBLISHED)

    def accepting_online(self) -> ProcedureVersionQuerySet:
        return self.published().filter(service_level__gte=ServiceLevel.PARTIAL)

    def visible_to(self, user) -> ProcedureVersionQuerySet:
        grants = grants_for(user)
        if grants.is_superuser or grants.has_any_role("catalog_admin"):
            return self.all()
        return self.published()

    def actionable_by(self, user) -> ProcedureVersionQuerySet:
        grants = grants_for(user)
        if grants.is_superuser or grants.has_any_role("catalog_admin"):
            return self.all()
        return self.none()


class ProcedureVersion(models.Model):
    """The full record of a procedure as published at one time (national TTHC fields)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("phiên bản"))
    state = models.CharField(
        _("trạng thái"), max_length=12, choices=VersionState.choices, default=VersionState.DRAFT
    )
    local_code = models.CharField(_("mã đầy đủ"), max_length=60, blank=True)
    name = models.CharField(_("tên thủ tục"), max_length=500)
    search_text = models.TextField(editable=False, default="")
    sectors = models.ManyToManyField(Sector, verbose_name=_("lĩnh vực"), related_name="versions")
    gov_level = models.CharField(
        _("cấp thực hiện"), max_length=16, choices=UnitLevel.choices, db_index=True
    )
    service_level = models.PositiveSmallIntegerField(
        _("mức độ dịch vụ công"), choices=ServiceLevel.choices, default=ServiceLevel.INFORMATION
    )
    implementing_agency = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan thực hiện"),
        on_delete=models.PROTECT,
        related_name="implemented_versions",
    )
    competent_agency = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan có thẩm quyền"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="competent_versions",
    )
    authorised_agency = models.ForeignKey(
        Agency,
        verbose_name=_("cơ quan được ủy quyền"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorised_versions",
    )
    coordinating_agencies = models.ManyToManyField(
        Agency, verbose_name=_("cơ quan phối hợp"), blank=True, related_name="coordinated_versions"
    )
    receiving_agencies = models.ManyToManyField(
        Agency,
        verbose_name=_("nơi tiếp nhận hồ sơ"),
        blank=True,
        related_name="receiving_versions",
        help_text=_("Để trống: tiếp nhận tại bộ phận một cửa của cơ quan thực hiện."),
    )
    steps = models.TextField(_("trình tự thực hiện"), blank=True)
    applicants = models.TextField(_("đối tượng thực hiện"), blank=True)
    conditions = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    result_name = models.CharField(_("kết quả thực hiện"), max_length=500, blank=True)
    result_template = models.FileField(
        _("mẫu kết quả"), upload_to="procedures/results/", blank=True
    )
    legal_basis = models.JSONField(
        _("căn cứ pháp lý"),
        default=list,
        blank=True,
        help_text=_("Danh sách: số văn bản, tên, ngày ban hành, ngày hiệu lực, cơ quan ban hành."),
    )
    publishing_decision = models.CharField(_("quyết định công bố"), max_length=200, blank=True)
    keywords = models.CharField(_("từ khoá"), max_length=500, blank=True)
    related_codes = models.CharField(
        _("thủ tục liên quan / liên thông"), max_length=500, blank=True
    )
    postal_eligible = models.BooleanField(_("tiếp nhận, trả kết quả qua bưu chính"), default=False)
    online_payment = models.BooleanField(_("thanh toán trực tuyến"), default=False)
    result_must_be_signed = models.BooleanField(_("kết quả phải ký số"), default=False)
    content_hash = models.CharField(max_length=64, editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("ngày công bố"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("ngày bãi bỏ"), null=True, blank=True)

    objects = ProcedureVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("phiên bản thủ tục")
        verbose_name_plural = _("phiên bản thủ tục")
        ordering = ["procedure__code", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="unique_version_number"),
            models.UniqueConstraint(
                fields=["procedure"],
                condition=Q(state="published"),
                name="one_published_version",
            ),
            models.UniqueConstraint(
                fields=["procedure"], condition=Q(state="draft"), name="one_draft_version"
            ),
            models.CheckConstraint(
                condition=Q(service_level__gte=1, service_level__lte=4), name="service_level_1_4"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "gov_level", "service_level"]),
            models.Index(fields=["state", "implementing_agency"]),
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} – {self.name}"

    @property
    def code(self) -> str:
        return self.procedure.code

    @property
    def is_editable(self) -> bool:
        return self.state == VersionState.DRAFT

    @property
    def accepts_online_filing(self) -> bool:
        return self.state == VersionState.PUBLISHED and self.service_level >= ServiceLevel.PARTIAL

    @property
    def online_scope(self) -> str:
        """Nghị định 42/2022 name of the service level."""
        if self.service_level == ServiceLevel.FULL:
            return _("Dịch vụ công trực tuyến toàn trình")
        if self.service_level == ServiceLevel.PARTIAL:
            return _("Dịch vụ công trực tuyến một phần")
        return _("Cung cấp thông tin")


class ChannelKind(models.TextChoices):
    DIRECT = "direct", _("Trực tiếp")
    ONLINE = "online", _("Trực tuyến")
    POSTAL = "postal", _("Qua bưu chính công ích")


class TimeUnit(models.TextChoices):
    WORKING_DAYS = "working_days", _("ngày làm việc")
    CALENDAR_DAYS = "calendar_days", _("ngày")
    WORKING_HOURS = "working_hours", _("giờ làm việc")


class Channel(models.Model):
    """One way of filing (cách thức thực hiện) with its own processing time and fees."""

    version = models.ForeignKey(ProcedureVersion, on_delete=models.CASCADE, related_name="channels")
    kind = models.CharField(_("cách thức"), max_length=10, choices=ChannelKind.choices)
    processing_time = models.DecimalField(
        _("thời hạn giải quyết"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(0)],
    )
    time_unit = models.CharField(
        _("đơn vị thời gian"),
        max_length=16,
        choices=TimeUnit.choices,
        default=TimeUnit.WORKING_DAYS,
    )
    fee_vnd = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), default=0)
    fee_description = models.CharField(_("mô tả phí, lệ phí"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("cách thức thực hiện")
        verbose_name_plural = _("cách thức thực hiện")
        constraints = [
            models.UniqueConstraint(fields=["version", "kind"], name="unique_channel_kind"),
            models.CheckConstraint(condition=Q(processing_time__gte=0), name="time_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.processing_time} {self.get_time_unit_display()}"


class RequiredDocument(models.Model):
    """One paper of the dossier (thành phần hồ sơ), grouped by case (trường hợp)."""

    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.CASCADE, related_name="documents"
    )
    code = models.SlugField(
        _("mã giấy tờ"),
        max_length=40,
        help_text=_("Dùng làm tên trường tải lên doc_<mã> trong API."),
    )
    case = models.CharField(_("trường hợp"), max_length=255, blank=True)
    name = models.CharField(_("tên giấy tờ"), max_length=500)
    originals = models.PositiveSmallIntegerField(_("bản chính"), default=0)
    certified_copies = models.PositiveSmallIntegerField(_("bản sao chứng thực"), default=0)
    photocopies = models.PositiveSmallIntegerField(_("bản sao"), default=0)
    required = models.BooleanField(_("bắt buộc"), default=True)
    form_template = models.FileField(
        _("mẫu đơn, tờ khai"), upload_to="procedures/forms/", blank=True
    )
    accepted_types = models.CharField(
        _("định dạng chấp nhận"),
        max_length=200,
        default="application/pdf,image/jpeg,image/png",
        help_text=_("Kiểu MIME, phân cách bằng dấu phẩy."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_document_code"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accepted_mime_types(self) -> list[str]:
        return [t.strip() for t in self.accepted_types.split(",") if t.strip()]


class AuditAction(models.TextChoices):
    CREATE_DRAFT = "create_draft", _("Tạo bản nháp")
    UPDATE_DRAFT = "update_draft", _("Sửa bản nháp")
    PUBLISH = "publish", _("Công bố")
    WITHDRAW = "withdraw", _("Bãi bỏ")
    IMPORT = "import", _("Nhập từ tệp")


class CatalogAuditEntry(models.Model):
    """Append-only record of every change to the catalog (who, when, what changed)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="audit")
    version = models.ForeignKey(
        ProcedureVersion, null=True, on_delete=models.PROTECT, related_name="audit"
    )
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("nhật ký danh mục")
        verbose_name_plural = _("nhật ký danh mục")
        ordering = ["-at", "-id"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Catalog audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Catalog audit entries are append-only.")


from procedures.models_paths import *  # noqa: E402, F403
