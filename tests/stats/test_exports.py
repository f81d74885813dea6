"""Every table as CSV and XLSX; a text cell a spreadsheet would run as a formula is neutralised
(agency, procedure and staff names are typed by people), numbers stay numbers."""

import csv
import io

import pytest
from openpyxl import load_workbook

from dossiers.statistics.exports import csv_bytes, safe_cell, xlsx_bytes
from dossiers.statistics.tables import Column, Table
from tests.stats.factories import file, make_world

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example","Bấm vào đây")'


@pytest.fixture
def evil_world(clock, run_on_commit):
    world = make_world()
    world.commune.agency.name = EVIL
    world.commune.agency.save()
    with run_on_commit():
        file(world.commune, "direct")
        file(world.district, "direct")
    return world


@pytest.mark.parametrize("text", ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\r=1"])
def test_formula_prefixes_are_neutralised(text):
    assert safe_cell(text) == "'" + text
    assert safe_cell("Đà Lạt") == "Đà Lạt"
    assert safe_cell(-5) == -5 and safe_cell(2.5) == 2.5 and safe_cell(None) == ""


def test_csv_of_one_table(client, evil_world):
    response = client.get("/stats/", {"year": 2025, "format": "csv", "table": "agencies"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="thong-ke-20250101-20251231.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Cơ quan" and rows[0][1] == "Tổng số hồ sơ"
    names = [row[0] for row in rows[1:]]
    assert "'" + EVIL in names
    assert EVIL not in names
    assert rows[-1][0] == "Tổng cộng" and rows[-1][1] == "2"


def test_xlsx_of_every_table(client, evil_world):
    response = client.get("/stats/", {"year": 2025, "format": "xlsx"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert {"catalog", "summary", "months", "agencies", "procedures", "satisfaction"} <= set(
        workbook.sheetnames
    )
    sheet = workbook["agencies"]
    cells = [c for row in sheet.iter_rows() for c in row]
    evil = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert evil and all(c.value.startswith("'=") and c.data_type == "s" for c in evil)
    assert not any(c.data_type == "f" for c in cells)
    total_row = [row for row in sheet.iter_rows(values_only=True) if row[0] == "Tổng cộng"][0]
    assert total_row[1] == 2  # a number, not text


def test_the_page_links_every_table_to_both_formats(client, evil_world):
    html = client.get("/stats/", {"year": 2025, "gov_level": "commune"}).content.decode()
    assert "?year=2025&amp;gov_level=commune&amp;format=csv&amp;table=agencies" in html
    assert "?year=2025&amp;gov_level=commune&amp;format=xlsx&amp;table=months" in html
    assert '?year=2025&amp;gov_level=commune&amp;format=xlsx"' in html  # everything


def test_writers_keep_unicode_and_several_tables():
    table = Table("t", "Bảng thử", [Column("label", "Tên", "text"), Column("n", "Số")])
    table.rows = [["Xã Xuân Trường", 1537], ["=cmd", None]]
    data = csv_bytes([table, table]).decode("utf-8")
    assert data.startswith("\ufeff") and "Xã Xuân Trường,1537" in data and "'=cmd," in data
    assert data.count("Bảng thử") == 2
    workbook = load_workbook(io.BytesIO(xlsx_bytes([table, table])))
    assert len(workbook.sheetnames) == 2
    assert workbook.worksheets[0]["B3"].value == 1537
