"""The certificate registry: officials' signing certificates, the trust anchors an administrator
configures, the intermediate CAs that link them, and an append-only record of signatures made.

A certificate row keeps the PEM and the facts parsed from it (``pki.describe``); the facts are
never typed by hand. Private keys are not here: a provider holds them, and the row only names
the provider and its reference to the key (a file name, a token slot, a remote credential id).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.permissions import ScopedQuerySet, grants_for
from signatures.pki import CertificateInfo


class CertificateRecord(models.Model):
    """Common fields of every stored X.509 certificate."""

    pem = models.TextField(_("chứng thư (PEM)"))
    subject = models.CharField(_("chủ thể"), max_length=1000, editable=False)
    subject_cn = models.CharField(_("tên chủ thể (CN)"), max_length=255, editable=False)
    issuer = models.CharField(_("tổ chức cấp"), max_length=1000, editable=False)
    serial_number = models.CharField(_("số hiệu"), max_length=64, editable=False)
    not_before = models.DateTimeField(_("hiệu lực từ"), editable=False)
    not_after = models.DateTimeField(_("hiệu lực đến"), editable=False)
    fingerprint = models.CharField(
        _("dấu vân tay SHA-256"), max_length=64, unique=True, editable=False
    )
    is_active = models.BooleanField(_("đang sử dụng"), default=True)
    created_at = models.DateTimeField(_("thời điểm thêm"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.subject_cn or self.subject

    def apply_info(self, info: CertificateInfo) -> None:
        """Copy the facts parsed from the PEM onto the row."""
        self.pem = info.pem
        self.subject = info.subject[:1000]
        self.subject_cn = info.common_name[:255]
        self.issuer = info.issuer[:1000]
        self.serial_number = info.serial_number[:64]
        self.not_before = info.not_before
        self.not_after = info.not_after
        self.fingerprint = info.fingerprint_sha256

    def is_valid_at(self, moment=None) -> bool:
        moment = moment or timezone.now()
        return self.not_before <= moment <= self.not_after


class TrustAnchor(CertificateRecord):
    """A root certificate whose signatures the portal trusts (the government CA's root in
    production, the demo CA in the demo). Only active anchors count."""

    name = models.CharField(_("tên gọi"), max_length=200, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("chứng thư gốc tin cậy")
        verbose_name_plural = _("chứng thư gốc tin cậy")
        ordering = ["subject_cn"]


class IntermediateCertificate(CertificateRecord):
    """A subordinate CA certificate, offered to path building (signers usually embed it too)."""

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("chứng thư CA trung gian")
        verbose_name_plural = _("chứng thư CA trung gian")
        ordering = ["subject_cn"]


class SigningCertificateQuerySet(ScopedQuerySet):
    def visible_to(self, user) -> SigningCertificateQuerySet:
        """Administrators see every certificate; an official sees their own."""
        grants = grants_for(user)
        if grants.is_superuser:
            return self.all()
        if not grants.is_authenticated:
            return self.none()
        return self.filter(user_id=grants.user_id)

    def usable_by(self, user, at=None) -> SigningCertificateQuerySet:
        """The user's own active certificates valid now (a signer signs only as themselves)."""
        grants = grants_for(user)
        if not grants.is_authenticated:
            return self.none()
        at = at or timezone.now()
        return self.filter(
            user_id=grants.user_id, is_active=True, not_before__lte=at, not_after__gte=at
        )


class SigningCertificate(CertificateRecord):
    """An official's certificate, the provider that holds its key, and how the stamp names them."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người ký"),
        on_delete=models.PROTECT,
        related_name="signing_certificates",
    )
    title = models.CharField(_("chức danh"), max_length=200, blank=True)
    agency = models.ForeignKey(
        "portal.Agency",
        verbose_name=_("cơ quan"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    provider = models.CharField(_("nhà cung cấp ký số"), max_length=50)
    key_reference = models.CharField(
        _("tham chiếu khóa"),
        max_length=255,
        blank=True,
        help_text=_("Tên tệp khóa, khe token hoặc mã định danh khóa ở dịch vụ ký từ xa."),
    )

    objects = SigningCertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("chứng thư số của cán bộ")
        verbose_name_plural = _("chứng thư số của cán bộ")
        ordering = ["user_id", "-not_after"]
        indexes = [models.Index(fields=["user", "is_active", "not_after"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(not_after__gt=models.F("not_before")),
                name="signing_cert_valid_range",
            )
        ]


class SignatureRecord(models.Model):
    """One signature made through ``services.sign_document``: who, with which certificate,
    when, why, and the SHA-256 of the signed file. Append-only."""

    certificate = models.ForeignKey(
        SigningCertificate, on_delete=models.PROTECT, related_name="signatures"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("thời điểm ký"), default=timezone.now, db_index=True)
    field_name = models.CharField(_("trường chữ ký"), max_length=100)
    reason = models.CharField(_("lý do"), max_length=255, blank=True)
    role_label = models.CharField(_("vai trò"), max_length=200, blank=True)
    document_sha256 = models.CharField(_("SHA-256 văn bản đã ký"), max_length=64, db_index=True)

    class Meta:
        verbose_name = _("lượt ký số")
        verbose_name_plural = _("nhật ký ký số")
        ordering = ["-signed_at"]
