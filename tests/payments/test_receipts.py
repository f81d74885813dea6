"""E-receipts: one per successful payment, numbered in the database, a PDF with everything a
receipt states (amount in figures and in Vietnamese words), downloadable by the owner and the
staff who may see the dossier — nobody else."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from dossiers.models_payments import PaymentReceipt
from dossiers.payments import receipts, services
from dossiers.payments.gateways import GatewayResult
from dossiers.payments.words import number_in_words, vnd_in_words
from portal.models import Role
from tests.factories import AgencyFactory, CitizenFactory, staff_user
from tests.payments.factories import client_for, file_online

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "Không đồng"),
        (15, "Mười lăm đồng"),
        (21, "Hai mươi mốt đồng"),
        (24, "Hai mươi tư đồng"),
        (105, "Một trăm linh năm đồng"),
        (50_000, "Năm mươi nghìn đồng"),
        (100_000, "Một trăm nghìn đồng"),
        (215_000, "Hai trăm mười lăm nghìn đồng"),
        (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
        (2_500_000, "Hai triệu năm trăm nghìn đồng"),
        (3_000_050_000, "Ba tỷ không trăm năm mươi nghìn đồng"),
        (1_000_000_000_000, "Một nghìn tỷ đồng"),
    ],
)
def test_amounts_in_vietnamese_words(amount, words):
    assert vnd_in_words(amount) == words


def test_negative_numbers_read_with_am():
    assert number_in_words(-5) == "âm năm"


def paid(catalog, gateway_id: str = "SBXPAID001"):
    dossier = file_online(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    result = GatewayResult(payment.reference, "succeeded", payment.amount_vnd, gateway_id)
    services.settle(result, gateway_name="sandbox", source="webhook")
    payment.refresh_from_db()
    return dossier, payment


def test_the_pdf_states_what_a_receipt_states(catalog, clock):
    dossier, payment = paid(catalog)
    receipt = receipts.ensure_rendered(payment.receipt.pk)
    with receipts.open_receipt(receipt) as handle:
        text = " ".join(PdfReader(io.BytesIO(handle.read())).pages[0].extract_text().split())
    series, year, seq = receipt.number.split("-")
    assert f"{series}/{year}" in text and seq in text
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text
    assert payment.payer_name in text
    assert "100.000" in text and "Một trăm nghìn đồng" in text
    assert "Lệ phí cấp giấy" in text  # the fee's name from the catalog
    assert catalog.agency.name in text
    assert dossier.code in text
    assert payment.reference in text and "SBXPAID001" in text
    assert "ngày 03 tháng 3 năm 2025" in text


def test_numbers_follow_each_other_and_a_render_is_kept(catalog, clock):
    _d1, first = paid(catalog)
    _d2, second = paid(catalog, "SBXPAID002")
    a, b = first.receipt.number, second.receipt.number
    assert int(b.rsplit("-", 1)[1]) == int(a.rsplit("-", 1)[1]) + 1
    rendered = receipts.ensure_rendered(first.receipt.pk)
    again = receipts.ensure_rendered(first.receipt.pk)
    assert again.storage_name == rendered.storage_name and len(rendered.sha256) == 64
    assert PaymentReceipt.objects.count() == 2


def test_owner_and_staff_download_strangers_do_not(catalog):
    dossier, payment = paid(catalog)
    url = f"/dossiers/{dossier.code}/payments/{payment.reference}/receipt/"
    owner = client_for(catalog.citizen).get(url + "?download=1")
    assert owner.status_code == 200
    assert owner["Content-Disposition"].startswith("attachment")
    assert owner["Cache-Control"] == "private, no-store"
    assert client_for(catalog.desk).get(url).status_code == 200
    assert client_for(CitizenFactory()).get(url).status_code == 404
    assert client_for(staff_user(AgencyFactory(), Role.DESK)).get(url).status_code == 404
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    # Unknown or malformed references look the same as someone else's.
    assert (
        client_for(catalog.citizen).get(url.replace(payment.reference, "TTNOPE123")).status_code
        == 404
    )
    assert (
        client_for(catalog.citizen).get(url.replace(payment.reference, "x%00y")).status_code == 404
    )
