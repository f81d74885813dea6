"""Catalog administration: versions with their channels and documents (editable only while a
draft), publishing and withdrawal through the services, import/export, and the read-only
audit log."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Max, OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from procedures import services
from procedures.admin_import import export_response, import_view
from procedures.models import (
    CatalogAuditEntry,
    Channel,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
    Sector,
    VersionState,
)
from procedures.snapshot import snapshot_of


def _report(request, exc: services.CatalogError) -> None:
    detail = "; ".join(f"{field}: {message}" for field, message in exc.problems[:10])
    messages.error(request, f"{exc.message} {detail}".strip())


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class VersionLinkInline(admin.TabularInline):
    model = ProcedureVersion
    fields = ["link", "state", "name", "service_level", "published_at", "withdrawn_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ["-number"]

    @admin.display(description=_("phiên bản"))
    def link(self, obj):
        url = reverse("admin:procedures_procedureversion_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.number)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    list_display = ["code", "current_name", "current_state", "filing_count", "created_at"]
    search_fields = ["code", "versions__name"]
    readonly_fields = ["filing_count", "created_at"]
    inlines = [VersionLinkInline]
    actions = ["create_drafts", "withdraw_procedures", "export_csv", "export_xlsx"]
    change_list_template = "procedures/admin/procedure_change_list.html"

    def get_queryset(self, request):
        latest = ProcedureVersion.objects.filter(procedure=OuterRef("pk")).order_by("-number")
        return (
            super()
            .get_queryset(request)
            .annotate(
                latest_name=Subquery(latest.values("name")[:1]),
                latest_state=Subquery(latest.values("state")[:1]),
            )
        )

    @admin.display(description=_("tên thủ tục (phiên bản mới nhất)"))
    def current_name(self, obj):
        return obj.latest_name or "—"

    @admin.display(description=_("trạng thái"))
    def current_state(self, obj):
        return VersionState(obj.latest_state).label if obj.latest_state else "—"

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code"] if obj else self.readonly_fields

    def get_urls(self):
        custom = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_file),
                name="procedures_procedure_import",
            ),
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_all),
                name="procedures_procedure_export",
            ),
        ]
        return custom + super().get_urls()

    def import_file(self, request):
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:index"))
        return import_view(self, request)

    def export_all(self, request, fmt: str):
        if not self.has_view_permission(request) or fmt not in ("csv", "xlsx"):
            return HttpResponseRedirect(reverse("admin:index"))
        return export_response(ProcedureVersion.objects.published(), fmt)

    @admin.action(description=_("Tạo bản nháp mới từ phiên bản hiện hành"))
    def create_drafts(self, request, queryset):
        done = 0
        for procedure in queryset:
            try:
                services.create_draft(procedure, actor=request.user)
                done += 1
            except services.CatalogError as exc:
                _report(request, exc)
        if done:
            messages.success(request, gettext("Đã tạo %(n)s bản nháp.") % {"n": done})

    @admin.action(description=_("Bãi bỏ các thủ tục đã chọn"))
    def withdraw_procedures(self, request, queryset):
        done = 0
        for procedure in queryset:
            try:
                services.withdraw(
                    procedure, actor=request.user, reason=gettext("Bãi bỏ từ trang quản trị.")
                )
                done += 1
            except services.CatalogError as exc:
                _report(request, exc)
        if done:
            messages.success(request, gettext("Đã bãi bỏ %(n)s thủ tục.") % {"n": done})

    @admin.action(description=_("Xuất các thủ tục đã chọn (CSV)"))
    def export_csv(self, request, queryset) -> HttpResponse:
        versions = ProcedureVersion.objects.published().filter(procedure__in=queryset)
        return export_response(versions, "csv")

    @admin.action(description=_("Xuất các thủ tục đã chọn (XLSX)"))
    def export_xlsx(self, request, queryset) -> HttpResponse:
        versions = ProcedureVersion.objects.published().filter(procedure__in=queryset)
        return export_response(versions, "xlsx")


class DraftOnlyInline(admin.TabularInline):
    extra = 0

    def _editable(self, obj) -> bool:
        return obj is None or obj.state == VersionState.DRAFT

    def has_add_permission(self, request, obj=None):
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ChannelInline(DraftOnlyInline):
    model = Channel
    fields = ["kind", "processing_time", "time_unit", "fee_vnd", "fee_description"]


class DocumentInline(DraftOnlyInline):
    model = RequiredDocument
    fields = [
        "position",
        "code",
        "case",
        "name",
        "originals",
        "certified_copies",
        "photocopies",
        "required",
        "accepted_types",
        "form_template",
    ]


class VersionForm(forms.ModelForm):
    class Meta:
        model = ProcedureVersion
        fields = [
            "procedure",
            "local_code",
            "name",
            "sectors",
            "gov_level",
            "service_level",
            "implementing_agency",
            "competent_agency",
            "authorised_agency",
            "coordinating_agencies",
            "receiving_agencies",
            "steps",
            "applicants",
            "conditions",
            "result_name",
            "result_template",
            "legal_basis",
            "publishing_decision",
            "keywords",
            "related_codes",
            "postal_eligible",
            "online_payment",
            "result_must_be_signed",
        ]

    def clean(self):
        cleaned = super().clean()
        procedure = cleaned.get("procedure")
        if (
            self.instance.pk is None
            and procedure is not None
            and procedure.versions.filter(state=VersionState.DRAFT).exists()
        ):
            raise forms.ValidationError(_("Thủ tục này đã có bản nháp; hãy sửa bản nháp đó."))
        return cleaned


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    form = VersionForm
    list_display = [
        "procedure",
        "number",
        "name",
        "state",
        "gov_level",
        "service_level",
        "published_at",
    ]
    list_filter = ["state", "gov_level", "service_level", "sectors"]
    search_fields = ["procedure__code", "local_code", "name"]
    list_select_related = ["procedure"]
    autocomplete_fields = ["procedure"]
    raw_id_fields = ["implementing_agency", "competent_agency", "authorised_agency"]
    filter_horizontal = ["sectors", "coordinating_agencies", "receiving_agencies"]
    readonly_fields = [
        "number",
        "state",
        "published_at",
        "published_by",
        "withdrawn_at",
        "content_hash",
    ]
    inlines = [ChannelInline, DocumentInline]
    actions = ["publish_versions", "withdraw_versions"]

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.state != VersionState.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "procedure"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            request._catalog_before = snapshot_of(services._full_version(obj.pk))
        else:
            request._catalog_before = None
            obj.state = VersionState.DRAFT
            obj.created_by = request.user
            obj.number = (obj.procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.record_draft_edit(
            form.instance, getattr(request, "_catalog_before", None), actor=request.user
        )

    @admin.action(description=_("Công bố các bản nháp đã chọn"))
    def publish_versions(self, request, queryset):
        done = 0
        for version in queryset.select_related("procedure"):
            try:
                services.publish(version, actor=request.user)
                done += 1
            except services.CatalogError as exc:
                _report(request, exc)
        if done:
            messages.success(request, gettext("Đã công bố %(n)s phiên bản.") % {"n": done})

    @admin.action(description=_("Bãi bỏ (phiên bản đang công bố)"))
    def withdraw_versions(self, request, queryset):
        done = 0
        for version in queryset.filter(state=VersionState.PUBLISHED).select_related("procedure"):
            try:
                services.withdraw(
                    version.procedure,
                    actor=request.user,
                    reason=gettext("Bãi bỏ từ trang quản trị."),
                )
                done += 1
            except services.CatalogError as exc:
                _report(request, exc)
        if done:
            messages.success(request, gettext("Đã bãi bỏ %(n)s thủ tục.") % {"n": done})


@admin.register(CatalogAuditEntry)
class CatalogAuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "procedure", "version", "actor", "note"]
    list_filter = ["action"]
    search_fields = ["procedure__code", "note"]
    list_select_related = ["procedure", "version", "actor"]
    fields = ["at", "action", "procedure", "version", "actor", "note", "pretty_changes"]
    readonly_fields = fields

    @admin.display(description=_("thay đổi"))
    def pretty_changes(self, obj):
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.changes, ensure_ascii=False, indent=2, default=str)
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from procedures import admin_paths  # noqa: E402, F401  (processing paths of routing)
