"""Admin of inter-level routing: stuck dossiers (``RoutingAlert``) with a "retry" action, and
read-only lists of hand-overs and deadline notices. Imported from ``dossiers/admin.py``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dossiers import routing
from dossiers.models_routing import DeadlineNotice, Handover, RoutingAlert


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RoutingAlert)
class RoutingAlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "dossier", "kind", "message", "resolved_at", "resolution"]
    list_filter = ["kind", ("resolved_at", admin.EmptyFieldListFilter)]
    search_fields = ["dossier__code", "message"]
    list_select_related = ["dossier"]
    actions = ["retry"]

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("dossiers.change_routingalert")

    @admin.action(description=_("Thử chuyển lại các hồ sơ đã chọn"), permissions=["retry"])
    def retry(self, request, queryset) -> None:
        for alert in queryset.filter(resolved_at__isnull=True):
            try:
                outcome = routing.retry_alert(alert.pk, request.user)
            except routing.RoutingError as exc:
                self.message_user(request, f"{alert.dossier}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{alert.dossier}: {outcome}", messages.SUCCESS)


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    list_display = [
        "dossier",
        "step_index",
        "from_agency",
        "to_agency",
        "state",
        "created_at",
        "delivered_at",
        "step_due_at",
        "finished_at",
    ]
    list_filter = ["state", "reason"]
    search_fields = ["dossier__code", "idempotency_key"]
    list_select_related = ["dossier", "from_agency", "to_agency"]


@admin.register(DeadlineNotice)
class DeadlineNoticeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "dossier", "agency", "due_at"]
    list_filter = ["kind"]
    search_fields = ["dossier__code", "agency__code"]
    list_select_related = ["dossier", "agency"]
