from django.contrib import admin
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
