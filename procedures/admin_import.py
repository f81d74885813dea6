"""The admin's import page (upload → dry-run preview → confirm) and export downloads."""

from __future__ import annotations

import re
import uuid

from django import forms
from django.contrib import messages
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from procedures.bulk import ACTION_LABELS, Action
from procedures.importexport.columns import column_label
from procedures.importexport.exporter import CONTENT_TYPES, export_catalog
from procedures.importexport.importer import MAX_FILE_BYTES, ImportRejected, import_catalog

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
PREVIEW_ROWS = 500


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Tệp danh mục (.csv UTF-8 hoặc .xlsx)"),
        help_text=_("Định dạng: docs/catalog-format.md. Tệp được kiểm tra toàn bộ trước khi ghi."),
    )
    publish = forms.BooleanField(
        label=_("Công bố ngay các phiên bản mới (nếu không: lưu thành bản nháp)"), required=False
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("Tệp quá lớn (tối đa 20 MB)."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Chỉ nhận tệp .csv hoặc .xlsx."))
        return upload


def _stored_name(request, token: str) -> str:
    return f"catalog-imports/{request.user.pk}-{token}"


def import_view(model_admin, request):
    storage = storages["private"]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": gettext("Nhập danh mục thủ tục từ tệp"),
    }
    changelist = reverse("admin:procedures_procedure_changelist")

    if request.method == "POST" and "token" in request.POST:
        token = request.POST.get("token", "")
        name = _stored_name(request, token)
        if not _TOKEN.match(token) or not storage.exists(name):
            messages.error(request, gettext("Phiên nhập đã hết hạn; hãy tải tệp lên lại."))
            return HttpResponseRedirect(request.path)
        with storage.open(name, "rb") as handle:
            data = handle.read()
        filename = request.POST.get("filename", "")[:200]
        publish = request.POST.get("publish") == "1"
        try:
            result = import_catalog(data, filename, actor=request.user, publish=publish)
        except ImportRejected as exc:
            context.update(form=ImportForm(), problems=exc.problems)
            return TemplateResponse(request, "procedures/admin/import.html", context)
        finally:
            storage.delete(name)
        messages.success(
            request,
            gettext("Đã nhập %(total)s dòng: %(summary)s.")
            % {
                "total": len(result.plans),
                "summary": ", ".join(
                    f"{ACTION_LABELS[a]} {result.count(a)}" for a in Action if result.count(a)
                ),
            },
        )
        return HttpResponseRedirect(changelist)

    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        publish = form.cleaned_data["publish"]
        try:
            result = import_catalog(
                data, upload.name, actor=request.user, publish=publish, dry_run=True
            )
        except ImportRejected as exc:
            context.update(form=form, problems=exc.problems)
            return TemplateResponse(request, "procedures/admin/import.html", context)
        token = uuid.uuid4().hex
        storage.save(_stored_name(request, token), ContentFile(data))
        changed = [
            {
                "row": plan.row,
                "code": plan.code,
                "label": plan.label,
                "changes": [column_label(name) for name in plan.changes],
            }
            for plan in result.changed
        ]
        context.update(
            form=None,
            token=token,
            filename=upload.name,
            publish=publish,
            summary=[(ACTION_LABELS[a], result.count(a)) for a in Action],
            changed=changed[:PREVIEW_ROWS],
            more=max(0, len(changed) - PREVIEW_ROWS),
            total=len(result.plans),
        )
        return TemplateResponse(request, "procedures/admin/import.html", context)
    context["form"] = form
    return TemplateResponse(request, "procedures/admin/import.html", context)


def export_response(versions, fmt: str) -> HttpResponse:
    data = export_catalog(versions, fmt)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="danh-muc-tthc-{stamp}.{fmt}"'
    return response
