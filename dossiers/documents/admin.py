"""Admin of the official forms: templates are edited as new versions (the previous one is kept
and retired), generated documents and failures are read-only records."""

from __future__ import annotations

import unicodedata

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from dossiers.documents.sandbox import check_body
from dossiers.models_documents import DocumentFailure, DocumentTemplate, GeneratedDocument


class DocumentTemplateForm(forms.ModelForm):
    class Meta:
        model = DocumentTemplate
        fields = ["form_key", "number_label", "title", "body", "note"]
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "cols": 120, "spellcheck": "false"})}

    def clean_body(self) -> str:
        body = unicodedata.normalize("NFC", self.cleaned_data.get("body") or "")
        if "\x00" in body:
            raise forms.ValidationError(_("Nội dung mẫu chứa ký tự không hợp lệ."))
        check_body(body)
        return body


class DocumentTemplateAdmin(admin.ModelAdmin):
    form = DocumentTemplateForm
    list_display = ("form_key", "number_label", "title", "version", "is_active", "created_at")
    list_filter = ("form_key", "is_active")
    search_fields = ("number_label", "title")
    readonly_fields = ("version", "is_active", "created_at", "created_by")

    def get_changeform_initial_data(self, request) -> dict:
        """ "Add" starts from the current template of ``?form_key=`` (else the file default)."""
        from dossiers.documents.forms_registry import FORMS
        from dossiers.documents.services import template_source

        initial = super().get_changeform_initial_data(request)
        key = str(initial.get("form_key") or "")
        if key in FORMS:
            template, body = template_source(key)
            initial.setdefault(
                "number_label", template.number_label if template else FORMS[key].number_label
            )
            initial.setdefault("title", template.title if template else FORMS[key].title)
            initial.setdefault("body", body)
        return initial

    def save_model(self, request, obj, form, change) -> None:
        """Every save is a new active version; the edited row stays as it was."""
        from dossiers.documents.services import save_template_version

        saved = save_template_version(
            form_key=obj.form_key,
            number_label=obj.number_label,
            title=obj.title,
            body=obj.body,
            note=obj.note,
            user=request.user,
        )
        obj.pk, obj.version, obj.is_active = saved.pk, saved.version, saved.is_active
        obj.created_at, obj.created_by = saved.created_at, saved.created_by


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class GeneratedDocumentAdmin(ReadOnlyAdmin):
    list_display = ("dossier", "kind", "number_label", "pages", "size", "created_at")
    list_filter = ("kind",)
    search_fields = ("dossier__code", "sha256")
    list_select_related = ("dossier",)
    raw_id_fields = ("dossier", "source_event", "template")


class DocumentFailureAdmin(ReadOnlyAdmin):
    list_display = ("source_event", "kind", "attempts", "updated_at", "last_error")
    list_filter = ("kind",)
    raw_id_fields = ("source_event",)


def register_admin(site: admin.AdminSite | None = None) -> None:
    site = site or admin.site
    for model, model_admin in (
        (DocumentTemplate, DocumentTemplateAdmin),
        (GeneratedDocument, GeneratedDocumentAdmin),
        (DocumentFailure, DocumentFailureAdmin),
    ):
        if not site.is_registered(model):
            site.register(model, model_admin)
