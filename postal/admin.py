"""Operator tools: shipments (read-only, with sandbox advance and cancel actions), the tariff,
the desks' postal addresses and alerts. Every action goes through the services."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from dossiers.errors import DossierError
from postal import sandbox_driver
from postal.carriers import CarrierError
from postal.models import (
    AgencyPostalAddress,
    SandboxParcel,
    Shipment,
    ShipmentAlert,
    ShipmentEvent,
    ShipmentStatus,
    TariffRate,
)
from postal.services import cancel_shipment


class ShipmentEventInline(admin.TabularInline):
    model = ShipmentEvent
    fields = ["occurred_at", "status", "note", "source", "applied", "event_id", "received_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["occurred_at", "id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _advance(modeladmin, request, queryset, to: str | None) -> None:
    url = request.build_absolute_uri(reverse("api-postal-events"))
    send = sandbox_driver.http_sender(url)
    moved = 0
    for shipment in queryset.order_by("id"):
        try:
            results = sandbox_driver.advance(shipment, to, send=send)
        except (DossierError, CarrierError) as exc:
            modeladmin.message_user(
                request, f"{shipment}: {getattr(exc, 'message', exc)}", messages.WARNING
            )
            continue
        refused = [r for r in results if r.http_status != 200]
        if refused:
            modeladmin.message_user(
                request,
                _("%(shipment)s: webhook trả lời %(code)s %(text)s")
                % {
                    "shipment": shipment,
                    "code": refused[0].http_status,
                    "text": refused[0].response,
                },
                messages.ERROR,
            )
        moved += len(results) - len(refused)
    modeladmin.message_user(request, _("Đã gửi %(n)s sự kiện bưu chính.") % {"n": moved})


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = [
        "order_number",
        "direction",
        "waybill",
        "status",
        "agency",
        "handover_date",
        "collect_vnd",
        "created_at",
    ]
    list_filter = ["direction", "status", "carrier", "handover_date"]
    search_fields = ["waybill", "order_number", "receiver_name", "sender_name"]
    list_select_related = ["agency"]
    date_hierarchy = "created_at"
    inlines = [ShipmentEventInline]
    actions = ["advance_one_step", "advance_to_delivered", "advance_to_failed", "cancel"]
    readonly_fields = [f.name for f in Shipment._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_lazy("Bưu chính thử nghiệm: chuyển sang bước tiếp theo"))
    def advance_one_step(self, request, queryset):
        _advance(self, request, queryset, None)

    @admin.action(description=_lazy("Bưu chính thử nghiệm: phát thành công"))
    def advance_to_delivered(self, request, queryset):
        _advance(self, request, queryset, ShipmentStatus.DELIVERED)

    @admin.action(description=_lazy("Bưu chính thử nghiệm: phát không thành công"))
    def advance_to_failed(self, request, queryset):
        _advance(self, request, queryset, ShipmentStatus.FAILED)

    @admin.action(description=_lazy("Hủy bưu gửi (chưa được bưu chính lấy)"))
    def cancel(self, request, queryset):
        for shipment in queryset:
            try:
                cancel_shipment(shipment, note=_("Hủy bởi %(user)s") % {"user": request.user})
            except DossierError as exc:
                self.message_user(request, f"{shipment}: {exc.message}", messages.WARNING)


@admin.register(TariffRate)
class TariffRateAdmin(admin.ModelAdmin):
    list_display = ["zone", "postage_vnd", "valid_from", "note"]
    list_filter = ["zone"]


@admin.register(AgencyPostalAddress)
class AgencyPostalAddressAdmin(admin.ModelAdmin):
    list_display = ["agency", "street", "commune", "phone"]
    search_fields = ["agency__name", "agency__code", "street"]
    autocomplete_fields = ["agency", "commune"]


@admin.register(ShipmentAlert)
class ShipmentAlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "agency", "dossier", "message", "resolved_at"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    readonly_fields = [
        "agency",
        "dossier",
        "shipment",
        "kind",
        "message",
        "created_at",
        "resolved_at",
        "resolved_by",
    ]
    list_select_related = ["agency", "dossier"]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(SandboxParcel)
class SandboxParcelAdmin(admin.ModelAdmin):
    list_display = ["waybill", "order_number", "status", "status_at"]
    search_fields = ["waybill", "order_number"]
    readonly_fields = [f.name for f in SandboxParcel._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
