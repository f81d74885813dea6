"""The issue's "done when", end to end through the pages: a citizen files a level-4 dossier, pays
in the sandbox, the dossier proceeds and the receipt downloads; a failed payment leaves the
dossier waiting with a clear message and a way to retry."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from dossiers.models import Dossier, DossierEvent, Status
from dossiers.models_payments import PaymentStatus, PaymentTransaction
from dossiers.workflow import transition
from tests.payments.factories import client_for, real_pdf, split

pytestmark = pytest.mark.django_db


def file_through_the_form(client, catalog) -> Dossier:
    page = client.get(f"/dossiers/new/{catalog.code}/")
    key = re.search(r'name="submission_key" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(
        f"/dossiers/new/{catalog.code}/",
        {
            "applicant_name": "Nguyễn Thị Hoà",
            "applicant_id_number": "068123456789",
            "applicant_phone": "0912345678",
            "applicant_address": "12 Trần Phú, Phường 4, Đà Lạt",
            "summary": "Đề nghị cung cấp thông tin",
            "submission_key": key,
            "doc_to-khai": real_pdf(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Dossier.objects.get(applicant=catalog.citizen)


def pay(client, dossier, outcome: str, django_capture_on_commit_callbacks):
    """Press the button, choose ``outcome`` at the sandbox, come back; returns the final page."""
    start = client.post(f"/dossiers/{dossier.code}/payments/start/")
    assert start.status_code == 302
    sandbox_url = start["Location"]
    assert sandbox_url.startswith("/payments/sandbox/")
    gateway_page = client.get(sandbox_url)
    assert gateway_page.status_code == 200
    assert "100.000 đồng" in gateway_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        chosen = client.post(sandbox_url, {"outcome": outcome})
    assert chosen.status_code == 302
    path, query = split(chosen["Location"])
    assert path == "/payments/return/sandbox/" and query["signature"]
    back = client.get(path, query)
    assert back.status_code == 302
    return client.get(back["Location"])


def test_file_pay_proceed_and_download_the_receipt(
    catalog, webhook_outbox, django_capture_on_commit_callbacks
):
    citizen = client_for(catalog.citizen)
    dossier = file_through_the_form(citizen, catalog)
    assert dossier.status == Status.SUBMITTED and dossier.fee_vnd == 100_000

    page = citizen.get(f"/dossiers/{dossier.code}/payments/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Thanh toán trực tuyến" in html and "100.000 đồng" in html

    final = pay(citizen, dossier, "succeeded", django_capture_on_commit_callbacks)
    html = final.content.decode()
    assert "Thanh toán thành công 100.000 đồng" in html
    # The sandbox notified our webhook, signed; the return then found the work done.
    assert [status for status, _ in webhook_outbox.sent] == [200]
    assert webhook_outbox.sent[0][1]["result"] == "applied"

    dossier.refresh_from_db()
    payment = PaymentTransaction.objects.get(dossier=dossier)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert dossier.paid_online is True
    # The dossier proceeds: released for intake (one history row), no button any more.
    confirm = DossierEvent.objects.filter(dossier=dossier, action="confirm-payment")
    assert confirm.count() == 1
    assert confirm.get().payload["receipt_number"] == payment.receipt.number
    assert "Thanh toán trực tuyến</button>" not in html

    receipt = citizen.get(f"/dossiers/{dossier.code}/payments/{payment.reference}/receipt/")
    assert receipt.status_code == 200
    assert receipt["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(b"".join(receipt.streaming_content))).pages[0].extract_text()
    assert payment.receipt.number.rsplit("-", 1)[1] in text
    assert "Một trăm nghìn đồng" in text

    # The desk receives it; nothing more is asked of the citizen.
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "receive", catalog.desk)
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED


def test_a_failed_payment_leaves_the_dossier_waiting_with_a_retry(
    catalog, django_capture_on_commit_callbacks
):
    citizen = client_for(catalog.citizen)
    dossier = file_through_the_form(citizen, catalog)

    final = pay(citizen, dossier, "failed", django_capture_on_commit_callbacks)
    html = final.content.decode()
    assert "Thanh toán không thành công" in html
    assert "Hồ sơ vẫn đang chờ thanh toán" in html
    assert "Thanh toán lại</button>" in html
    dossier.refresh_from_db()
    assert (dossier.status, dossier.paid_online) == (Status.SUBMITTED, False)
    assert not DossierEvent.objects.filter(dossier=dossier, action="confirm-payment").exists()

    # Retry: a new transaction, and this time it works.
    final = pay(citizen, dossier, "succeeded", django_capture_on_commit_callbacks)
    assert "Thanh toán thành công" in final.content.decode()
    statuses = list(
        PaymentTransaction.objects.filter(dossier=dossier)
        .order_by("created_at", "id")
        .values_list("status", flat=True)
    )
    assert statuses == [PaymentStatus.FAILED, PaymentStatus.SUCCEEDED]
    dossier.refresh_from_db()
    assert dossier.paid_online is True


def test_a_requested_payment_resumes_processing(catalog, django_capture_on_commit_callbacks):
    citizen = client_for(catalog.citizen)
    dossier = file_through_the_form(citizen, catalog)
    pay(citizen, dossier, "succeeded", django_capture_on_commit_callbacks)
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    transition(
        dossier.code,
        "request-payment",
        catalog.specialist,
        amount=250_000,
        reason="Phí thẩm định hồ sơ",
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED and dossier.paused_at is not None

    page = citizen.get(f"/dossiers/{dossier.code}/payments/").content.decode()
    assert "Phí thẩm định hồ sơ" in page and "250.000 đồng" in page

    start = citizen.post(f"/dossiers/{dossier.code}/payments/start/")
    with django_capture_on_commit_callbacks(execute=True):
        chosen = citizen.post(start["Location"], {"outcome": "succeeded"})
    path, query = split(chosen["Location"])
    citizen.get(path, query)

    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING
    assert dossier.paused_at is None
    moves = DossierEvent.objects.filter(dossier=dossier, action="confirm-payment")
    assert [(e.from_status, e.to_status) for e in moves.order_by("id")] == [
        (Status.SUBMITTED, Status.SUBMITTED),
        (Status.PAYMENT_REQUESTED, Status.PROCESSING),
    ]
