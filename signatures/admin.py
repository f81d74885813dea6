from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from signatures.forms import (
    IntermediateAdminForm,
    SigningCertificateAdminForm,
    TrustAnchorAdminForm,
)
from signatures.models import (
    IntermediateCertificate,
    SignatureRecord,
    SigningCertificate,
    TrustAnchor,
)

PARSED_FIELDS = (
    "subject_cn",
    "subject",
    "issuer",
    "serial_number",
    "not_before",
    "not_after",
    "fingerprint",
    "created_at",
)


class CertificateAdmin(admin.ModelAdmin):
    readonly_fields = PARSED_FIELDS
    search_fields = ("subject_cn", "subject", "issuer", "serial_number", "fingerprint")
    list_filter = ("is_active",)

    def get_fieldsets(self, request, obj=None):
        return (
            (None, {"fields": list(self.form._meta.fields)}),
            (_("Thông tin đọc từ chứng thư"), {"fields": PARSED_FIELDS}),
        )


@admin.register(TrustAnchor)
class TrustAnchorAdmin(CertificateAdmin):
    form = TrustAnchorAdminForm
    list_display = ("subject_cn", "name", "serial_number", "not_after", "is_active")


@admin.register(IntermediateCertificate)
class IntermediateCertificateAdmin(CertificateAdmin):
    form = IntermediateAdminForm
    list_display = ("subject_cn", "issuer", "serial_number", "not_after", "is_active")


@admin.register(SigningCertificate)
class SigningCertificateAdmin(CertificateAdmin):
    form = SigningCertificateAdminForm
    list_display = ("subject_cn", "user", "title", "agency", "provider", "not_after", "is_active")
    list_filter = ("is_active", "provider")
    list_select_related = ("user", "agency")
    autocomplete_fields = ("user", "agency")
    search_fields = (*CertificateAdmin.search_fields, "user__username", "user__full_name")


@admin.register(SignatureRecord)
class SignatureRecordAdmin(admin.ModelAdmin):
    """The append-only log of signatures made through the portal: read only."""

    list_display = ("signed_at", "user", "certificate", "role_label", "reason", "field_name")
    list_select_related = ("user", "certificate")
    search_fields = ("user__username", "document_sha256", "reason")
    date_hierarchy = "signed_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
