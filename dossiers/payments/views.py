"""Web pages of online payments: the dossier's payments page, starting a payment, the return
from the gateway, the e-receipt download, and the sandbox gateway's own payment page. Thin:
every rule is in ``services``; every page checks who may see what (404 for a dossier the user
may not see, exactly as for an unknown one)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dossiers.errors import DossierError, InvalidState, NotAllowed, NotFound
from dossiers.models import Dossier
from dossiers.models_payments import PaymentStatus, PaymentTransaction, SandboxPayment
from dossiers.payments import receipts, services
from dossiers.payments.gateways import (
    GatewayRejected,
    MalformedMessage,
    SignatureInvalid,
    get_gateway,
    is_registered,
)
from dossiers.payments.gateways import sandbox as sandbox_gateway
from dossiers.payments.panel import payment_panel
from dossiers.payments.words import vnd
from dossiers.views.common import forbidden, valid_code

PDF_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


def _visible_dossier(request: HttpRequest, code: str) -> Dossier:
    if not valid_code(code):
        raise Http404
    dossier = (
        Dossier.objects.visible_to(request.user)
        .filter(code=code)
        .select_related("procedure_version", "receiving_agency", "current_agency")
        .first()
    )
    if dossier is None:
        raise Http404
    return dossier


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


@login_required
@require_safe
def dossier_payments(request: HttpRequest, code: str) -> HttpResponse:
    """The dossier's payments: what is due (with the button), attempts, receipts."""
    dossier = _visible_dossier(request, code)
    is_owner = dossier.applicant_id == request.user.pk
    context = {
        "dossier": dossier,
        "payment_panel": payment_panel(dossier, request.user),
        "back_url": "dossiers:detail" if is_owner else "dossiers:desk-detail",
    }
    return render(request, "payments/page.html", context)


@login_required
@require_POST
def start(request: HttpRequest, code: str) -> HttpResponse:
    """Open a transaction and send the payer to the gateway."""
    if not valid_code(code):
        raise Http404
    try:
        started = services.start_payment(code, request.user)
    except NotFound as exc:
        raise Http404 from exc
    except NotAllowed as exc:
        return forbidden(request, exc.message)
    except (InvalidState, services.GatewayUnavailable) as exc:
        messages.error(request, exc.message)
        return redirect("payments:dossier", code=code)
    return redirect(started.redirect_url)


def _return_message(request: HttpRequest, payment: PaymentTransaction) -> None:
    amount = vnd(payment.amount_vnd)
    if payment.status == PaymentStatus.SUCCEEDED:
        receipt = getattr(payment, "receipt", None)
        messages.success(
            request,
            _("Thanh toán thành công %(amount)s. Đã lập biên lai điện tử số %(number)s.")
            % {"amount": amount, "number": receipt.number if receipt else ""},
        )
    elif payment.status == PaymentStatus.REFUNDED:
        messages.warning(
            request,
            _("Khoản thanh toán %(amount)s không được ghi nhận cho hồ sơ: %(reason)s")
            % {"amount": amount, "reason": payment.status_message},
        )
    elif payment.status in (PaymentStatus.FAILED, PaymentStatus.EXPIRED):
        messages.error(
            request,
            _(
                "Thanh toán không thành công (%(reason)s). Hồ sơ vẫn đang chờ thanh toán; "
                "bạn có thể thanh toán lại."
            )
            % {"reason": payment.status_message or payment.get_status_display()},
        )
    else:
        messages.info(
            request,
            _("Cổng thanh toán chưa xác nhận kết quả. Trang này sẽ cập nhật khi có kết quả."),
        )


def _redirect_for_reference(request: HttpRequest, reference: str) -> HttpResponse:
    payment = (
        PaymentTransaction.objects.visible_to(request.user)
        .filter(reference=reference)
        .select_related("dossier")
        .first()
        if request.user.is_authenticated and services.valid_reference(reference)
        else None
    )
    if payment is None:
        return redirect("dossiers:mine")
    return redirect("payments:dossier", code=payment.dossier.code)


@require_safe
def gateway_return(request: HttpRequest, gateway: str) -> HttpResponse:
    """Where the gateway sends the payer back. The signed parameters are settled exactly like a
    webhook (idempotently); the payer then sees the dossier's payments with a clear message."""
    if not is_registered(gateway):
        raise Http404
    query = {key: request.GET.get(key, "") for key in request.GET}
    reference = str(query.get("reference", ""))
    try:
        result = get_gateway(gateway).parse_return(query)
    except (SignatureInvalid, MalformedMessage) as exc:
        services.audit(
            "refused_return",
            source="return",
            reference=reference,
            note=exc.reason,
            data={"gateway": gateway[:32]},
            remote=_client_ip(request),
        )
        messages.error(
            request,
            _("Không xác thực được kết quả thanh toán gửi về. Kết quả sẽ được đối soát lại."),
        )
        return _redirect_for_reference(request, reference)
    try:
        settlement = services.settle(
            result, gateway_name=gateway, source="return", remote=_client_ip(request)
        )
    except DossierError as exc:
        messages.error(request, exc.message)
        return _redirect_for_reference(request, reference)
    payment = (
        PaymentTransaction.objects.select_related("dossier", "receipt")
        .filter(pk=settlement.payment.pk)
        .first()
    )
    _return_message(request, payment)
    return redirect("payments:dossier", code=payment.dossier.code)


@login_required
@require_safe
def receipt_download(request: HttpRequest, code: str, reference: str) -> FileResponse:
    """The e-receipt PDF of one successful payment (owner and staff who may see the dossier)."""
    dossier = _visible_dossier(request, code)
    payment = (
        PaymentTransaction.objects.filter(
            dossier=dossier, reference=reference, status=PaymentStatus.SUCCEEDED
        )
        .select_related("receipt")
        .first()
        if services.valid_reference(reference)
        else None
    )
    receipt = getattr(payment, "receipt", None) if payment is not None else None
    if receipt is None:
        raise Http404(_("Không tìm thấy biên lai."))
    receipt = receipts.ensure_rendered(receipt.pk)
    response = FileResponse(
        receipts.open_receipt(receipt),
        as_attachment=request.GET.get("download") == "1",
        filename=f"bien-lai-{receipt.number}.pdf",
        content_type="application/pdf",
    )
    for header, value in PDF_HEADERS.items():
        response[header] = value
    return response


# --- the sandbox gateway's own page ---------------------------------------------------------


def _sandbox_enabled() -> bool:
    return is_registered("sandbox") and isinstance(
        get_gateway("sandbox"), sandbox_gateway.SandboxGateway
    )


@require_http_methods(["GET", "HEAD", "POST"])
def sandbox_page(request: HttpRequest, reference: str) -> HttpResponse:
    """The sandbox gateway's payment page: the payer chooses success or failure; the sandbox
    notifies our webhook (a task after commit) and sends the payer to our return URL."""
    if not services.valid_reference(reference) or not _sandbox_enabled():
        raise Http404
    payment = SandboxPayment.objects.filter(reference=reference).first()
    if payment is None:
        raise Http404
    status = 200
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        if outcome not in ("succeeded", "failed"):
            messages.error(request, _("Hãy chọn kết quả giao dịch."))
            status = 400
        else:
            try:
                payment = sandbox_gateway.decide(reference, outcome)
            except GatewayRejected:
                messages.error(request, _("Giao dịch đã hết hạn, không thể thanh toán."))
                status = 409
            else:
                from dossiers.payment_tasks import deliver_sandbox_webhook

                transaction.on_commit(lambda: deliver_sandbox_webhook.delay(reference))
                return redirect(sandbox_gateway.return_redirect_url(payment))
    context = {
        "payment": payment,
        "amount": vnd(payment.amount_vnd),
        "outcome": sandbox_gateway.SandboxGateway().query(reference).outcome,
        "return_url": (
            sandbox_gateway.return_redirect_url(payment) if payment.status != "pending" else ""
        ),
    }
    return render(request, "payments/sandbox.html", context, status=status)
