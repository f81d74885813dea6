"""Operator views of dossiers: read-mostly. Status never changes here (actions go through the
workflow service); history rows are read-only; nothing is deleted. Notifications can be
re-queued after a delivery failure."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from dossiers.models import (
    Attachment,
    Dossier,
    DossierEvent,
    Notification,
    NotificationStatus,
    Rating,
)
from dossiers.notifications import enqueue


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class EventInline(ReadOnlyInline):
    model = DossierEvent
    fields = [
        "at",
        "action",
        "from_status",
        "to_status",
        "from_agency",
        "to_agency",
        "actor_name",
        "note",
        "step_due_at",
    ]
    ordering = ["at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("from_agency", "to_agency")


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ["kind", "document_code", "original_name", "content_type", "size", "sha256"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = [
        "code",
        "procedure",
        "applicant_name",
        "status",
        "receiving_agency",
        "current_agency",
        "submitted_at",
        "due_at",
    ]
    list_filter = ["status", "channel", "result_delivery"]
    search_fields = ["=code", "applicant_name", "=applicant_phone"]
    list_select_related = ["procedure", "receiving_agency", "current_agency"]
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    inlines = [AttachmentInline, EventInline]

    def get_queryset(self, request):
        return Dossier.objects.visible_to(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["id", "dossier", "channel", "recipient", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel"]
    search_fields = ["=dossier__code", "=recipient"]
    list_select_related = ["dossier"]
    show_full_result_count = False
    actions = ["retry"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(dossier__in=Dossier.objects.visible_to(request.user).values("pk"))
        )

    @admin.action(description=_("Gửi lại các thông báo lỗi đã chọn"))
    def retry(self, request, queryset):
        ids = list(queryset.filter(status=NotificationStatus.FAILED).values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids).update(
            status=NotificationStatus.PENDING, attempts=0, last_error=""
        )
        enqueue(ids)
        self.message_user(
            request, _("Đã xếp lại %(n)s thông báo để gửi.") % {"n": len(ids)}, messages.SUCCESS
        )


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "score", "created_at"]
    list_filter = ["score"]
    list_select_related = ["dossier"]


# Routing alerts and their retry action live in their own module.
from dossiers import admin_routing  # noqa: E402, F401
