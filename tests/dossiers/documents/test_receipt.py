"""Mẫu 01 at intake: rendered by the task on the documents queue once the receive commits,
with the national header, place and date written out, the applicant, the papers received,
the appointment and the QR code of the tracking page; idempotent."""

import hashlib

import pytest
from django.utils import timezone

from dossiers.document_tasks import render_event_document
from dossiers.documents import services
from dossiers.documents.sandbox import written_date
from dossiers.models import DossierEvent, EventAction
from dossiers.models_documents import GeneratedDocument
from dossiers.workflow import transition
from portal.models import UnitLevel
from tests.dossiers.conftest import file_online, file_walk_in
from tests.dossiers.documents.factories import (
    document_bytes,
    document_text,
    pdf_reader,
    read_qr_codes,
)
from tests.dossiers.factories import Catalog
from tests.factories import AgencyFactory, UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dalat(db):
    """A ward desk of Đà Lạt: the place written on its forms is "Đà Lạt"."""
    city = UnitFactory(code="672", name="Thành phố Đà Lạt", level=UnitLevel.DISTRICT)
    ward = UnitFactory(code="24778", name="Phường 4", parent=city)
    agency = AgencyFactory(
        code="H36.30.4", name="Ủy ban nhân dân Phường 4", unit=ward, phone="02633822000"
    )
    return Catalog(agency=agency)


def receipts(dossier):
    return GeneratedDocument.objects.filter(dossier=dossier, kind="receipt")


def test_walk_in_filing_issues_the_receipt(dalat, clock, run_on_commit):
    dossier = run_on_commit(file_walk_in, dalat, applicant_name="Nguyễn Thị Hồng Nhung")
    receipt = receipts(dossier).get()
    event = dossier.events.get(action=EventAction.RECEIVE)
    assert receipt.source_event_id == event.pk
    assert receipt.number_label == "Mẫu số 01"
    text = document_text(receipt)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "ỦY BAN NHÂN DÂN PHƯỜNG 4" in text
    assert "Đà Lạt, ngày 03 tháng 3 năm 2025" in text  # Monday 3 March 2025 (clock)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "Mẫu số 01" in text
    assert dossier.code in text
    assert "Nguyễn Thị Hồng Nhung" in text
    assert "068123456789" in text and "0912345678" in text and "hoa@example.vn" in text
    assert "12 Trần Phú, Phường 4, Đà Lạt" in text
    assert "Đề nghị cấp giấy khai sinh" in text
    assert "08 giờ 00 phút, ngày 03 tháng 3 năm 2025" in text  # received at
    due = timezone.localtime(dossier.due_at)
    assert f"{due:%H} giờ {due:%M} phút, {written_date(due)}" in text  # the appointment
    assert "3 ngày làm việc" in text
    assert "Nhận tại bộ phận một cửa" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text and "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert dalat.desk.get_full_name() in text


def test_the_receipt_lists_the_papers_received(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_walk_in, catalog)
    text = document_text(receipts(dossier).get())
    assert "Giấy tờ to-khai" in text  # filed with a file
    assert "Giấy tờ giay-khac" not in text  # optional and not filed
    assert "Bản chính" in text and "Bản sao chứng thực" in text
    assert "Số lượng hồ sơ: 01 bộ" in text


def test_online_dossier_gets_its_receipt_at_intake_not_at_submission(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_online, catalog)
    assert not receipts(dossier).exists()
    clock.advance(hours=2)
    run_on_commit(transition, dossier.code, "receive", catalog.desk)
    receipt = receipts(dossier).get()
    assert "10 giờ 00 phút, ngày 03 tháng 3 năm 2025" in document_text(receipt)


def test_the_qr_code_opens_the_tracking_page(catalog, clock, settings, run_on_commit):
    settings.PORTAL_BASE_URL = "https://dichvucong.lamdong.gov.vn"
    dossier = run_on_commit(file_walk_in, catalog)
    receipt = receipts(dossier).get()
    url = f"https://dichvucong.lamdong.gov.vn/track/?code={dossier.code}"
    assert read_qr_codes(document_bytes(receipt)) == [url]
    # The URL is printed too; it may wrap at the end of a line: compare without spaces.
    assert url in document_text(receipt).replace(" ", "")


def test_rendering_twice_creates_one_document(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_walk_in, catalog)
    event = dossier.events.get(action=EventAction.RECEIVE)
    first = receipts(dossier).get()
    assert render_event_document.delay(event.pk, "receipt").get() == first.pk
    assert services.render_for_event(event.pk) == first
    assert receipts(dossier).count() == 1


def test_the_stored_pdf_matches_its_sha256(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_walk_in, catalog)
    receipt = receipts(dossier).get()
    content = document_bytes(receipt)
    assert receipt.sha256 == hashlib.sha256(content).hexdigest()
    assert receipt.size == len(content)
    assert receipt.pages == len(pdf_reader(content).pages) == 1


def test_an_event_that_issues_no_form_renders_nothing(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_walk_in, catalog)
    assign = run_on_commit(
        transition, dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username
    )
    event = DossierEvent.objects.filter(dossier=assign, action="assign").get()
    assert services.render_for_event(event.pk) is None
    assert services.render_for_event(event.pk, "receipt") is None  # kind must match the event
    assert GeneratedDocument.objects.filter(dossier=dossier).count() == 1
