"""Read-only admin of online payments for operators: the transactions (with their receipts) and
the audit trail — where refunds to make and refused notifications are found. Nothing is edited
here: gateways and the reconciliation settle payments (``services``)."""

from __future__ import annotations

from django.contrib import admin

from dossiers.models_payments import PaymentAuditEntry, PaymentReceipt, PaymentTransaction


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReceiptInline(admin.StackedInline):
    model = PaymentReceipt
    fields = ("number", "issued_at", "rendered_at", "sha256")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PaymentTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "dossier",
        "amount_vnd",
        "purpose",
        "status",
        "gateway",
        "created_at",
        "paid_at",
    )
    list_filter = ("status", "purpose", "gateway")
    search_fields = ("reference", "gateway_transaction_id", "dossier__code", "payer_name")
    list_select_related = ("dossier",)
    date_hierarchy = "created_at"
    inlines = [ReceiptInline]
    readonly_fields = [f.name for f in PaymentTransaction._meta.fields]


class PaymentAuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "kind", "source", "reference", "dossier", "remote_addr")
    list_filter = ("kind", "source")
    search_fields = ("reference", "dossier__code")
    list_select_related = ("dossier",)
    date_hierarchy = "at"
    readonly_fields = [f.name for f in PaymentAuditEntry._meta.fields]


def register_admin(site: admin.AdminSite | None = None) -> None:
    site = site or admin.site
    for model, model_admin in (
        (PaymentTransaction, PaymentTransactionAdmin),
        (PaymentAuditEntry, PaymentAuditEntryAdmin),
    ):
        if not site.is_registered(model):
            site.register(model, model_admin)
