"""Mẫu 06: the ledger of a receiving agency over a date range, as PDF and XLSX, for its staff."""

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dossiers.workflow import transition
from tests.dossiers.conftest import file_online, file_walk_in
from tests.dossiers.documents.factories import pdf_text
from tests.dossiers.factories import Catalog
from tests.factories import CitizenFactory, UserFactory

pytestmark = pytest.mark.django_db

MARCH = {"from": "2025-03-01", "to": "2025-03-31"}


@pytest.fixture
def book(catalog, clock):
    """Three dossiers received in March, one in April, one submitted but not received, and
    one received by another agency."""
    names = ["Nguyễn Thị Hồng Nhung", "Đặng Văn Khoa", '=HYPERLINK("http://x")']
    march = [file_walk_in(catalog, applicant_name=name) for name in names]
    clock.set(2025, 4, 2, 9, 0)
    april = file_walk_in(catalog, applicant_name="Tháng Tư")
    pending = file_online(catalog, applicant_name="Chưa Tiếp Nhận")
    other = file_walk_in(Catalog(), applicant_name="Cơ Quan Khác")
    return {"march": march, "april": april, "pending": pending, "other": other}


def xlsx_rows(content: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_pdf_ledger_of_a_month(client, catalog, book):
    client.force_login(catalog.desk)
    response = client.get("/desk/ledger/", MARCH)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "SỔ THEO DÕI HỒ SƠ" in text and "Mẫu số 06" in text
    assert "Từ ngày 01 tháng 3 năm 2025 đến ngày 31 tháng 3 năm 2025" in text
    compact = text.replace(" ", "")
    for dossier in book["march"]:
        assert dossier.code.replace(" ", "") in compact
    assert "Nguyễn Thị Hồng Nhung" in text and "Đặng Văn Khoa" in text
    assert catalog.desk.get_full_name() in text  # the receiving officer
    for name in ("Tháng Tư", "Chưa Tiếp Nhận", "Cơ Quan Khác"):
        assert name not in text


def test_xlsx_ledger(client, catalog, book):
    client.force_login(catalog.desk)
    response = client.get(
        "/desk/ledger/", {**MARCH, "format": "xlsx", "agency": catalog.agency.code}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    rows = xlsx_rows(response.content)
    header = rows.index(next(r for r in rows if r and r[0] == "STT"))
    data = [r for r in rows[header + 1 :] if r and r[0] is not None]
    assert [r[1] for r in data] == [d.code for d in book["march"]]
    assert data[0][3] == "Nguyễn Thị Hồng Nhung"
    assert data[2][3] == '\'=HYPERLINK("http://x")'  # never a live formula
    assert data[0][5] == "08:00 03/03/2025"
    assert data[0][9] == catalog.desk.get_full_name()
    assert rows[0][0] == catalog.agency.name.upper()


def test_no_dates_shows_the_form(client, catalog):
    client.force_login(catalog.desk)
    response = client.get("/desk/ledger/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="from"' in html and 'name="to"' in html and "<label" in html
    assert catalog.agency.code in html


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-13-01", "to": "2025-03-31"},
        {"from": "2025-03-31", "to": "2025-03-01"},
        {"from": "2024-01-01", "to": "2025-03-31"},  # longer than a year
        {"from": "2025-03-01"},
        {"from": "2025-03-01\x00", "to": "2025-03-31"},
        {**MARCH, "agency": "KHONG-CO"},
        {**MARCH, "agency": "x\x00"},
        {**MARCH, "format": "docx"},
    ],
)
def test_bad_parameters_are_400(client, catalog, params):
    client.force_login(catalog.desk)
    response = client.get("/desk/ledger/", params)
    assert response.status_code == 400


def test_only_staff_of_the_agency(client, catalog, book):
    client.force_login(CitizenFactory())
    assert client.get("/desk/ledger/", MARCH).status_code == 403
    elsewhere = Catalog()
    client.force_login(elsewhere.desk)
    response = client.get("/desk/ledger/", {**MARCH, "agency": catalog.agency.code})
    assert response.status_code == 400  # not one of the agencies they may choose
    own = client.get("/desk/ledger/", MARCH)  # their own agency: none of catalog's dossiers
    assert own.status_code == 200
    assert "Nguyễn Thị Hồng Nhung" not in pdf_text(own.content)
    client.force_login(UserFactory(is_superuser=True))
    assert client.get("/desk/ledger/", {**MARCH, "agency": catalog.agency.code}).status_code == 200


def test_anonymous_is_sent_to_login(client):
    assert client.get("/desk/ledger/", MARCH).status_code == 302


def test_ledger_queries_do_not_grow_with_rows(client, catalog, clock):
    client.force_login(catalog.desk)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/desk/ledger/", {**MARCH, "format": "xlsx"})
        assert response.status_code == 200
        return len(captured)

    file_walk_in(catalog)
    small = queries()
    for _ in range(12):
        dossier = file_walk_in(catalog)
        transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    assert queries() == small
