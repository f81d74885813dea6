"""Web layer of the official documents: permission-checked downloads (owner and staff in scope;
404 for everybody else, exactly as for an unknown dossier), a print page, the stable "latest of
a kind" links the API gives out, and the Mẫu 06 ledger for desk staff."""

from __future__ import annotations

from csp.decorators import csp_replace
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from dossiers.documents import ledger as ledger_service
from dossiers.documents import services
from dossiers.documents.forms_registry import DOSSIER_FORMS
from dossiers.errors import DossierError, NotAllowed, NotFound, ValidationError
from dossiers.models_documents import GeneratedDocument
from dossiers.workflow import find_visible

PDF_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}
#: The print page frames the PDF: the PDF may be framed by the portal itself, nobody else.
#: (Checked in Chromium: its PDF viewer shows the framed file under the strict CSP of both the
#: page and the PDF, with this one change, and logs no violation.)
PDF_CSP = {"frame-ancestors": ["'self'"]}


def _visible_document(request, code: str, pk: int) -> GeneratedDocument:
    try:
        dossier = find_visible(code, request.user)
    except DossierError as exc:
        raise Http404(_("Không tìm thấy hồ sơ.")) from exc
    document = GeneratedDocument.objects.filter(dossier=dossier, pk=pk).first()
    if document is None:
        raise Http404(_("Không tìm thấy văn bản."))
    document.dossier = dossier
    return document


def _pdf_response(document: GeneratedDocument, *, download: bool) -> FileResponse:
    response = FileResponse(
        services.open_document(document),
        as_attachment=download,
        filename=document.file_name,
        content_type="application/pdf",
    )
    for header, value in PDF_HEADERS.items():
        response[header] = value
    response["X-Document-SHA256"] = document.sha256
    return response


@require_GET
@login_required
@xframe_options_sameorigin
@csp_replace(PDF_CSP)
def document_download(request, code: str, pk: int):
    """The PDF, inline (the browser's viewer prints it) or as a download with ``?download=1``."""
    document = _visible_document(request, code, pk)
    return _pdf_response(document, download=request.GET.get("download") == "1")


@require_GET
@login_required
@xframe_options_sameorigin
@csp_replace(PDF_CSP)
def latest_document(request, code: str, kind: str):
    """The newest PDF of one kind (the API's ``links``); Mẫu 05 is built on demand."""
    if kind not in DOSSIER_FORMS:
        raise Http404(_("Không tìm thấy văn bản."))
    try:
        document = services.latest_document(code, request.user, kind)
    except DossierError as exc:
        raise Http404(_("Không tìm thấy văn bản.")) from exc
    return _pdf_response(document, download=request.GET.get("download") == "1")


@require_GET
@login_required
def document_print(request, code: str, pk: int):
    """One click from the dossier page: this page opens the PDF and the print dialog."""
    document = _visible_document(request, code, pk)
    link = services.link_for(document, document.dossier.code)
    return render(
        request,
        "documents/print.html",
        {"document": link, "dossier": document.dossier, "autoprint": True},
    )


class LedgerForm(forms.Form):
    """The ledger's query parameters: ``agency`` (code), ``from``, ``to``, ``format``."""

    agency = forms.ModelChoiceField(
        label=gettext_lazy("Cơ quan"), queryset=None, to_field_name="code", required=False
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = ledger_service.ledger_agencies(user).order_by("code")
        self.fields["agency"].empty_label = None
        date = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        # "from" and "to" are Python keywords: declared here, not as class attributes.
        self.fields["from"] = forms.DateField(label=gettext_lazy("Từ ngày"), widget=date)
        self.fields["to"] = forms.DateField(label=gettext_lazy("Đến ngày"), widget=date)
        self.fields["format"] = forms.ChoiceField(
            label=gettext_lazy("Định dạng"),
            choices=[("pdf", "PDF"), ("xlsx", "Excel (XLSX)")],
            initial="pdf",
            required=False,
        )


LEDGER_PARAMS = ("agency", "from", "to", "format")


@require_GET
@login_required
def ledger(request):
    """``/desk/ledger/?from=YYYY-MM-DD&to=YYYY-MM-DD[&agency=<code>][&format=pdf|xlsx]``; with
    no dates, the form."""
    user = request.user
    if not ledger_service.ledger_agencies(user).exists():
        raise PermissionDenied
    params = {name: request.GET.get(name, "") for name in LEDGER_PARAMS}
    if any("\x00" in value or len(value) > 40 for value in params.values()):
        return HttpResponse(_("Tham số không hợp lệ."), status=400, content_type="text/plain")
    wants_file = bool(params["from"] or params["to"])
    today = timezone.localdate()
    form = LedgerForm(
        params if wants_file else None,
        user=user,
        initial={"from": today.replace(day=1), "to": today, "format": "pdf"},
    )
    if not wants_file:
        return render(request, "documents/ledger_form.html", {"form": form})
    if not form.is_valid():
        return render(request, "documents/ledger_form.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        query = ledger_service.ledger_query(
            user, agency=data.get("agency"), start=data["from"], end=data["to"]
        )
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except (ValidationError, NotFound) as exc:
        for field, messages in getattr(exc, "message_dict", {}).items():
            for message in messages:
                form.add_error(field if field in form.fields else None, message)
        return render(request, "documents/ledger_form.html", {"form": form}, status=400)
    stamp = f"{query.agency.code}-{query.start:%Y%m%d}-{query.end:%Y%m%d}"
    if data.get("format") == "xlsx":
        response = HttpResponse(
            ledger_service.ledger_xlsx(query),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="so-theo-doi-{stamp}.xlsx"'
    else:
        response = HttpResponse(ledger_service.ledger_pdf(query), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="so-theo-doi-{stamp}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
