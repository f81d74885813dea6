"""Admin editor of processing paths (quy trình liên thông): a path per procedure version with
its ordered steps inline; the whole path is checked by ``validate_steps`` before it is saved
(missing or inactive agency, agency outside the province, loops, the returning step)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from procedures.models_paths import ProcessingPath, ProcessingStep, StepOwner, validate_steps


class ProcessingStepFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows = [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        rows.sort(key=lambda row: row.get("position") or 0)
        version = getattr(self.instance, "version", None) if self.instance.version_id else None
        if version is None:
            return
        positions = [row.get("position") for row in rows]
        if len(set(positions)) != len(positions):
            raise ValidationError(_("Mỗi bước cần một số thứ tự khác nhau."))
        validate_steps(version, rows)


class ProcessingStepForm(forms.ModelForm):
    class Meta:
        model = ProcessingStep
        fields = [
            "position",
            "name",
            "owner",
            "agency",
            "level",
            "agency_kind",
            "hours",
            "returns_result",
        ]

    def clean(self):
        data = super().clean()
        owner = data.get("owner")
        if owner == StepOwner.AGENCY and not data.get("agency"):
            self.add_error("agency", _("Chọn cơ quan thực hiện bước này."))
        if owner == StepOwner.LEVEL and not (data.get("level") and data.get("agency_kind")):
            self.add_error("level", _("Chọn cấp và loại cơ quan."))
        return data


class ProcessingStepInline(admin.TabularInline):
    model = ProcessingStep
    form = ProcessingStepForm
    formset = ProcessingStepFormSet
    extra = 0
    min_num = 1
    autocomplete_fields = ["agency"]
    ordering = ["position"]


@admin.register(ProcessingPath)
class ProcessingPathAdmin(admin.ModelAdmin):
    list_display = ["version", "summary", "updated_at", "updated_by"]
    search_fields = ["version__procedure__code", "version__name"]
    raw_id_fields = ["version"]
    readonly_fields = ["updated_at", "updated_by"]
    list_select_related = ["version__procedure", "updated_by"]
    inlines = [ProcessingStepInline]

    @admin.display(description=_("các bước"))
    def summary(self, obj: ProcessingPath) -> str:
        return " → ".join(str(step) for step in obj.steps.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps__agency")

    def save_model(self, request, obj, form, change) -> None:
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
