"""Bulk import/export in one documented format: round trips, versions, refusals, speed."""

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from procedures.bulk import Action
from procedures.importexport.columns import ALL_COLUMNS, COLUMNS
from procedures.importexport.exporter import export_catalog
from procedures.importexport.importer import ImportRejected, import_catalog
from procedures.importexport.tables import read_xlsx
from procedures.models import (
    AuditAction,
    CatalogAuditEntry,
    Procedure,
    ProcedureVersion,
    VersionState,
)
from tests.factories import AgencyFactory
from tests.procedures.factories import SectorFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def refs():
    AgencyFactory(code="H36.02", name="Sở Tư pháp")
    AgencyFactory(code="H36.30", name="Trung tâm Phục vụ hành chính công")
    SectorFactory(code="LLTP", name="Lý lịch tư pháp")
    SectorFactory(code="HT", name="Hộ tịch")


def row(**overrides) -> dict:
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        code="LD.LLTP.01",
        local_code="LD.LLTP.01.000.00.00.H36",
        name="Cấp Phiếu lý lịch tư pháp",
        sectors="LLTP",
        gov_level="province",
        service_level="4",
        implementing_agency="H36.02",
        receiving_agencies="H36.30",
        steps="- Bước 1: nộp tờ khai\n- Bước 2: nhận phiếu",
        result_name="Phiếu lý lịch tư pháp",
        legal_basis=json.dumps(
            [{"number": "28/2009/QH12", "title": "Luật Lý lịch tư pháp"}], ensure_ascii=False
        ),
        postal_eligible="1",
        online_payment="1",
        result_must_be_signed="0",
        direct_time="10",
        direct_fee_vnd="200000",
        online_time="10",
        online_time_unit="working_days",
        online_fee_vnd="200.000",
        online_fee_description="=SUM(A1:A9) is text, not a formula",
        documents=json.dumps(
            [
                {"code": "to-khai", "name": "Tờ khai yêu cầu cấp Phiếu", "originals": 1},
                {"code": "cmnd", "name": "Bản chụp CCCD", "photocopies": 1, "case": "Công dân"},
            ],
            ensure_ascii=False,
        ),
    )
    base.update(overrides)
    return base


def to_csv(*rows: dict, columns=COLUMNS, encoding="utf-8") -> bytes:
    buffer = StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def test_import_creates_drafts_then_reimport_changes_nothing(refs):
    data = to_csv(
        row(),
        row(
            code="1.001193",
            name="Đăng ký khai sinh",
            sectors="HT",
            service_level="2",
            online_time="",
            online_time_unit="",
            online_fee_vnd="",
            online_fee_description="",
        ),
    )
    result = import_catalog(data, "catalog.csv")
    assert result.count(Action.CREATE) == 2
    version = ProcedureVersion.objects.get(procedure__code="LD.LLTP.01")
    assert version.state == VersionState.DRAFT
    assert version.channels.get(kind="online").fee_vnd == 200000
    assert version.channels.get(kind="online").fee_description.startswith("=SUM")
    assert [d.code for d in version.documents.all()] == ["to-khai", "cmnd"]
    assert version.documents.get(code="cmnd").case == "Công dân"
    assert CatalogAuditEntry.objects.filter(action=AuditAction.IMPORT).count() == 2

    again = import_catalog(data, "catalog.csv")
    assert again.count(Action.UNCHANGED) == 2
    assert ProcedureVersion.objects.count() == 2
    assert CatalogAuditEntry.objects.count() == 2


def test_publish_then_a_changed_row_makes_a_new_version(refs):
    import_catalog(to_csv(row()), "a.csv", publish=True)
    first = ProcedureVersion.objects.get()
    assert first.state == VersionState.PUBLISHED

    result = import_catalog(to_csv(row(direct_time="7")), "b.csv", publish=True)
    assert result.count(Action.NEW_VERSION) == 1
    assert result.plans[0].changes["channels"]["new"][0]["processing_time"] == "7.0"
    first.refresh_from_db()
    current = ProcedureVersion.objects.published().get()
    assert first.state == VersionState.SUPERSEDED
    assert current.number == 2
    assert current.channels.get(kind="direct").processing_time == 7
    assert CatalogAuditEntry.objects.filter(action=AuditAction.PUBLISH, version=current).exists()


def test_changed_row_without_publish_becomes_a_draft_and_a_later_publish_uses_it(refs):
    import_catalog(to_csv(row()), "a.csv", publish=True)
    changed = to_csv(row(name="Cấp Phiếu lý lịch tư pháp (sửa đổi)"))
    assert import_catalog(changed, "b.csv").count(Action.NEW_VERSION) == 1
    assert ProcedureVersion.objects.published().get().name == "Cấp Phiếu lý lịch tư pháp"
    assert import_catalog(changed, "b.csv").count(Action.UNCHANGED) == 1
    edited = to_csv(row(name="Cấp Phiếu lý lịch tư pháp (sửa lần 2)"))
    assert import_catalog(edited, "c.csv").count(Action.UPDATE_DRAFT) == 1
    assert ProcedureVersion.objects.count() == 2
    assert import_catalog(edited, "c.csv", publish=True).count(Action.PUBLISH_DRAFT) == 1
    assert (
        ProcedureVersion.objects.published().get().name == "Cấp Phiếu lý lịch tư pháp (sửa lần 2)"
    )


def test_dry_run_writes_nothing(refs):
    result = import_catalog(to_csv(row()), "a.csv", publish=True, dry_run=True)
    assert result.count(Action.CREATE) == 1
    assert not Procedure.objects.exists()
    assert not CatalogAuditEntry.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_round_trips(refs, fmt):
    import_catalog(
        to_csv(
            row(),
            row(
                code="2.000815",
                name="Chứng thực bản sao",
                sectors="HT;LLTP",
                service_level="1",
                online_time="",
                online_time_unit="",
                online_fee_vnd="",
                online_fee_description="",
                steps="'quoted' and +plus",
            ),
        ),
        "seed.csv",
        publish=True,
    )
    exported = export_catalog(fmt=fmt)
    result = import_catalog(exported, f"export.{fmt}", publish=True)
    assert result.count(Action.UNCHANGED) == 2, [p.changes for p in result.plans]
    assert ProcedureVersion.objects.count() == 2


def test_xlsx_cells_are_text_never_formulas(refs):
    import_catalog(to_csv(row()), "a.csv", publish=True)
    table = read_xlsx(export_catalog(fmt="xlsx"))
    assert table.header == list(ALL_COLUMNS)
    cells = dict(zip(table.header, table.rows[0][1], strict=False))
    assert cells["online_fee_description"] == "=SUM(A1:A9) is text, not a formula"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export_catalog(fmt="xlsx"))).active
    assert all(cell.data_type != "f" for r in sheet.iter_rows() for cell in r)


def test_csv_export_escapes_formula_cells(refs):
    import_catalog(to_csv(row()), "a.csv", publish=True)
    text = export_catalog(fmt="csv").decode("utf-8-sig")
    assert "\"'=SUM(A1:A9)" in text
    assert "'- Bước 1" in text


def test_a_bad_file_is_refused_whole_with_every_problem_listed(refs):
    rows = [
        row(),
        row(code="LD.LLTP.01"),  # duplicate code
        row(code="X.1", implementing_agency="H99.99"),  # unknown agency
        row(code="X.2", sectors="NOPE"),  # unknown sector
        row(code="X.3", direct_time="-5"),  # negative time
        row(code="X.4", service_level="9", gov_level="galaxy", online_fee_vnd="-1"),
        row(code="X.5", documents="[{not json"),
        row(code="X.6", postal_eligible="maybe"),
    ]
    with pytest.raises(ImportRejected) as caught:
        import_catalog(to_csv(*rows), "bad.csv", publish=True)
    problems = {(p.row, p.column) for p in caught.value.problems}
    assert (3, "code") in problems
    assert (4, "implementing_agency") in problems
    assert (5, "sectors") in problems
    assert (6, "direct_time") in problems
    assert {(7, "service_level"), (7, "gov_level"), (7, "online_fee_vnd")} <= problems
    assert (8, "documents") in problems
    assert (9, "postal_eligible") in problems
    messages = [str(p) for p in caught.value.problems]
    assert (
        "Dòng 6, cột “Thời hạn giải quyết – trực tiếp” (direct_time): Thời hạn giải quyết không "
        "được âm." in messages
    )
    assert any("trùng với dòng 2" in m for m in messages)
    assert not Procedure.objects.exists()
    assert not CatalogAuditEntry.objects.exists()


def test_missing_and_unknown_columns_are_refused(refs):
    columns = [c for c in COLUMNS if c not in ("name", "documents")] + ["colour"]
    with pytest.raises(ImportRejected) as caught:
        import_catalog(to_csv(row(), columns=columns), "a.csv")
    problems = {(p.row, p.column) for p in caught.value.problems}
    assert problems == {(1, "name"), (1, "documents"), (1, "colour")}


def test_wrong_encoding_is_refused(refs):
    data = to_csv(row(), encoding="utf-16")
    with pytest.raises(ImportRejected) as caught:
        import_catalog(data, "a.csv")
    assert "UTF-8" in caught.value.problems[0].message
    latin = "code,name\n1,Đăng ký".encode("cp1258", errors="replace")
    with pytest.raises(ImportRejected):
        import_catalog(latin + b"\xff\xfe", "b.csv")


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04garbage", b"\n\n"])
def test_empty_or_damaged_files_are_refused(refs, data):
    with pytest.raises(ImportRejected):
        import_catalog(data, "x.xlsx" if data.startswith(b"PK") else "x.csv")


def test_semicolon_csv_and_vietnamese_words_are_accepted(refs):
    buffer = StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), delimiter=";")
    writer.writeheader()
    writer.writerow(row(gov_level="Tỉnh", postal_eligible="có", online_time_unit="ngày làm việc"))
    result = import_catalog(buffer.getvalue().encode(), "vn.csv")
    assert result.count(Action.CREATE) == 1
    version = ProcedureVersion.objects.get()
    assert version.gov_level == "province" and version.postal_eligible


def test_importing_many_rows_costs_a_fixed_number_of_queries(refs, django_assert_max_num_queries):
    def rows(n: int) -> bytes:
        return to_csv(*(row(code=f"T.{i:05d}", name=f"Thủ tục {i}") for i in range(n)))

    with django_assert_max_num_queries(40):
        import_catalog(rows(20), "small.csv", publish=True)
    with django_assert_max_num_queries(40):
        import_catalog(rows(1537), "large.csv", publish=True)
    assert ProcedureVersion.objects.published().count() == 1537


def test_management_commands(refs, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes(to_csv(row()))
    out = StringIO()
    call_command("import_procedures", str(source), "--dry-run", stdout=out)
    assert "chạy thử" in out.getvalue() and not Procedure.objects.exists()
    call_command("import_procedures", str(source), "--publish", stdout=StringIO())
    assert ProcedureVersion.objects.published().count() == 1

    target = tmp_path / "out.xlsx"
    call_command(
        "export_procedures", "--format", "xlsx", "--output", str(target), stderr=StringIO()
    )
    assert target.read_bytes().startswith(b"PK")
    csv_out = StringIO()
    call_command("export_procedures", stdout=csv_out)
    assert "LD.LLTP.01" in csv_out.getvalue()

    bad = tmp_path / "bad.csv"
    bad.write_bytes(to_csv(row(direct_time="-1")))
    err = StringIO()
    with pytest.raises(CommandError, match="từ chối"):
        call_command("import_procedures", str(bad), stdout=StringIO(), stderr=err)
    assert "direct_time" in err.getvalue()


def test_the_documented_example_file_imports(refs):
    from pathlib import Path

    from django.conf import settings

    example = Path(settings.BASE_DIR) / "docs" / "examples" / "catalog-example.csv"
    for code, name in [
        ("H36.01", "Sở TNMT"),
        ("H36.672", "UBND Đà Lạt"),
        ("H36.672.01", "Phòng TNMT"),
    ]:
        AgencyFactory(code=code, name=name)
    for code, name in [("DD", "Đất đai"), ("XD", "Xây dựng"), ("CT", "Chứng thực")]:
        SectorFactory(code=code, name=name)
    result = import_catalog(example.read_bytes(), example.name, dry_run=True)
    assert result.count(Action.CREATE) == len(result.plans) >= 3


def test_existing_versions_built_by_factories_export(refs):
    VersionFactory(procedure__code="F.1", sectors=[SectorFactory(code="HT")])
    assert b"F.1" in export_catalog(fmt="csv")
