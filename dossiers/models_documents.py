"""Official documents of a dossier (Thông tư 01/2018/TT-VPCP, renumbered in 2025): the templates
administrators edit without a deploy, the PDFs generated from them, and the record of a render
that kept failing.

Imported at the bottom of ``dossiers/models.py`` (one line) so the models belong to the
``dossiers`` app; the business rules live in ``dossiers/documents/``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dossiers.models import AppendOnlyError, Dossier, DossierEvent
from portal.permissions import ScopedQuerySet

__all__ = [
    "DocumentFailure",
    "DocumentTemplate",
    "FormKey",
    "GeneratedDocument",
    "GeneratedDocumentQuerySet",
]


class FormKey(models.TextChoices):
    """What a template is for. The number printed on it ("Mẫu số 01") is data, not this key."""

    RECEIPT = "receipt", _("Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    SUPPLEMENT_REQUEST = "supplement_request", _("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    REFUSAL = "refusal", _("Phiếu từ chối tiếp nhận giải quyết hồ sơ")
    APOLOGY = "apology", _("Phiếu xin lỗi và hẹn lại ngày trả kết quả")
    PROCESS_CONTROL = "process_control", _("Phiếu kiểm soát quá trình giải quyết hồ sơ")
    LEDGER = "ledger", _("Sổ theo dõi hồ sơ")
    RESULT = "result", _("Kết quả giải quyết thủ tục hành chính")


class DocumentTemplate(models.Model):
    """One version of the template of an official form. Editing an active template in the admin
    saves a new version and retires the previous one, so every PDF names the version it came
    from. ``body`` is Django template source rendered in a sandbox (``dossiers.documents.
    sandbox``): autoescaping on, only the documents' own includes and filters."""

    form_key = models.CharField(_("loại biểu mẫu"), max_length=32, choices=FormKey.choices)
    version = models.PositiveIntegerField(_("phiên bản"), default=1)
    number_label = models.CharField(
        _("số hiệu mẫu"),
        max_length=50,
        help_text=_("Ví dụ: “Mẫu số 01”. Số hiệu là dữ liệu: quy định năm 2025 đã đánh số lại."),
    )
    title = models.CharField(_("tên biểu mẫu"), max_length=255)
    body = models.TextField(
        _("nội dung mẫu"),
        help_text=_("Cú pháp mẫu Django; dữ liệu được tự động thoát ký tự HTML."),
    )
    is_active = models.BooleanField(_("đang dùng"), default=True)
    note = models.CharField(_("ghi chú thay đổi"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("mẫu văn bản")
        verbose_name_plural = _("mẫu văn bản (Mẫu 01–06, kết quả)")
        ordering = ["form_key", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["form_key", "version"], name="unique_document_template_version"
            ),
            models.UniqueConstraint(
                fields=["form_key"],
                condition=Q(is_active=True),
                name="one_active_document_template",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number_label} – {self.title} (v{self.version})"


class GeneratedDocumentQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> GeneratedDocumentQuerySet:
        """Documents of the dossiers ``user`` may see (owner, staff in scope, superusers)."""
        return self.filter(dossier__in=Dossier.objects.visible_to(user).values("pk"))


class GeneratedDocument(models.Model):
    """A PDF generated for a dossier from one history event. Immutable (model guard plus a
    PostgreSQL trigger); unique per (dossier, kind, source event), so rendering is idempotent."""

    dossier = models.ForeignKey(
        Dossier, on_delete=models.PROTECT, related_name="generated_documents"
    )
    kind = models.CharField(_("loại văn bản"), max_length=32, choices=FormKey.choices)
    source_event = models.ForeignKey(
        DossierEvent,
        verbose_name=_("sự kiện nguồn"),
        on_delete=models.PROTECT,
        related_name="generated_documents",
    )
    template = models.ForeignKey(
        DocumentTemplate,
        verbose_name=_("mẫu"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="documents",
        help_text=_("Trống: mẫu mặc định trong mã nguồn."),
    )
    number_label = models.CharField(_("số hiệu mẫu"), max_length=50)
    title = models.CharField(_("tên văn bản"), max_length=255)
    storage_name = models.CharField(max_length=255, unique=True)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    pages = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    objects = GeneratedDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("văn bản đã tạo")
        verbose_name_plural = _("văn bản đã tạo")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "kind", "source_event"], name="unique_document_per_event"
            ),
        ]
        indexes = [models.Index(fields=["dossier", "kind"], name="generated_doc_kind")]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.number_label}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Generated documents are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Generated documents are immutable.")

    @property
    def file_name(self) -> str:
        return f"{self.kind}-{self.dossier.code}.pdf"


class DocumentFailure(models.Model):
    """A render that failed: attempts and the last error. The sweeper retries it until
    ``DOCUMENTS_MAX_ATTEMPTS``; then it stays here as the record of the final failure."""

    source_event = models.ForeignKey(DossierEvent, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=FormKey.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("lỗi tạo văn bản")
        verbose_name_plural = _("lỗi tạo văn bản")
        constraints = [
            models.UniqueConstraint(
                fields=["source_event", "kind"], name="unique_document_failure"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.source_event_id}: {self.attempts}"


def _install_hooks() -> None:
    # Listeners, link providers, the result generator and the admin (see hooks.install); here
    # because the dossiers AppConfig has no ready() hook for them yet.
    from dossiers.documents import hooks

    hooks.install()


_install_hooks()
