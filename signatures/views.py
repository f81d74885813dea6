from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework.throttling import ScopedRateThrottle

from signatures.errors import VerificationRefused
from signatures.forms import VerifyForm
from signatures.uploads import read_pdf_upload, refuse_oversized_request
from signatures.verification import max_bytes, verify_pdf


class _VerifyScope:
    """The page shares the API's "verify" throttle rate (REST_FRAMEWORK throttle rates)."""

    throttle_scope = "verify"


def _throttled(request) -> bool:
    return not ScopedRateThrottle().allow_request(request, _VerifyScope)


@require_http_methods(["GET", "POST"])
def verify(request):
    """Anyone uploads a signed PDF and reads, in plain words, what each signature is worth."""
    form = VerifyForm()
    report = None
    error = None
    status = 200
    if request.method == "POST":
        if _throttled(request):
            error = _("Bạn đã gửi quá nhiều yêu cầu kiểm tra, vui lòng thử lại sau ít phút.")
            status = 429
        else:
            try:
                refuse_oversized_request(request.META)
                form = VerifyForm(request.POST, request.FILES)
                if form.is_valid():
                    report = verify_pdf(read_pdf_upload(form.cleaned_data["file"]))
                else:
                    status = 400
            except VerificationRefused as exc:
                error, status = exc.message, exc.status_code
    return render(
        request,
        "signatures/verify.html",
        {
            "form": form,
            "report": report,
            "error": error,
            "max_megabytes": max_bytes() // (1024 * 1024),
        },
        status=status,
    )
