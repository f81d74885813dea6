from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from portal.models import (
    AdministrativeUnit,
    Agency,
    CalendarDay,
    CitizenProfile,
    OfficeHours,
    StaffMembership,
    User,
)

admin.site.site_header = _("Quản trị Cổng Dịch vụ công")
admin.site.site_title = _("Quản trị Một Cửa")


class CitizenProfileInline(admin.StackedInline):
    model = CitizenProfile
    can_delete = False
    autocomplete_fields = ["unit"]


class MembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["agency"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Thông tin bổ sung"), {"fields": ("full_name",)}),
    )
    list_display = ("username", "full_name", "email", "is_staff", "is_superuser")
    search_fields = ("username", "full_name", "email")
    inlines = [CitizenProfileInline, MembershipInline]


@admin.register(AdministrativeUnit)
class AdministrativeUnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "valid_from", "valid_to")
    list_filter = ("level",)
    search_fields = ("code", "name")
    autocomplete_fields = ["parent"]
    list_select_related = ("parent",)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "unit", "is_receiving_desk", "is_active")
    list_filter = ("kind", "is_receiving_desk", "is_active", "unit__level")
    search_fields = ("code", "name", "short_name")
    autocomplete_fields = ["unit", "parent"]
    list_select_related = ("unit",)


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "agency", "role", "title", "is_active")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__full_name", "agency__code", "agency__name")
    autocomplete_fields = ["user", "agency"]
    list_select_related = ("user", "agency")


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name")
    list_filter = ("kind",)
    date_hierarchy = "date"
    search_fields = ("name",)


@admin.register(OfficeHours)
class OfficeHoursAdmin(admin.ModelAdmin):
    list_display = ("start", "end")


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    """Who changed what in the admin (catalog, memberships, accounts): read-only, never
    edited or deleted, so the trail of administrative changes can be audited."""

    list_display = ("action_time", "user", "content_type", "object_repr", "action_flag")
    list_filter = ("action_flag", "content_type")
    search_fields = ("object_repr", "change_message", "user__username")
    date_hierarchy = "action_time"
    list_select_related = ("user", "content_type")
    readonly_fields = [f.name for f in LogEntry._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
