"""The PDF stays correct whatever the input: every Vietnamese diacritic (also decomposed, NFD),
very long names and addresses, 40 papers, HTML or script in any text field."""

import unicodedata

import pytest

from dossiers.documents import services
from dossiers.models import DossierEvent, EventAction, Status
from dossiers.models_documents import GeneratedDocument
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online, file_walk_in
from tests.dossiers.documents.factories import (
    VIETNAMESE_LETTERS,
    add_documents,
    document_bytes,
    document_text,
    pdf_fonts,
    pdf_reader,
)
from tests.dossiers.factories import DossierFactory, pdf

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Thị Hồng Nhung", "Đặng Văn Khoa", "Huỳnh Thị Bích Ngọc Ẩn"]


def receipt_of(dossier) -> GeneratedDocument:
    return GeneratedDocument.objects.get(dossier=dossier, kind="receipt")


@pytest.mark.parametrize("name", NAMES)
def test_names_keep_every_diacritic(catalog, clock, run_on_commit, name):
    dossier = run_on_commit(file_walk_in, catalog, applicant_name=name)
    text = document_text(receipt_of(dossier))
    assert name in text
    assert dossier.code in text


def test_every_vietnamese_letter_survives_in_liberation_serif(catalog, clock, run_on_commit):
    dossier = run_on_commit(
        file_walk_in,
        catalog,
        applicant_address=VIETNAMESE_LETTERS[:250],
        summary=VIETNAMESE_LETTERS,
    )
    content = document_bytes(receipt_of(dossier))
    text = document_text(receipt_of(dossier))
    assert VIETNAMESE_LETTERS in text
    assert VIETNAMESE_LETTERS[:250].strip() in text
    # Only Liberation Serif 2.x is embedded: no glyph fell back to another font (the 1.x
    # package lacks ư, ơ, ặ … and would have pulled in a fallback).
    assert pdf_fonts(content) <= {
        "Liberation-Serif",
        "Liberation-Serif-Bold",
        "Liberation-Serif-Italic",
        "Liberation-Serif-BoldItalic",
    }


def test_decomposed_input_comes_out_composed(catalog, clock):
    """Text stored decomposed (NFD, e.g. typed on a Mac or imported) prints as NFC."""
    decomposed = {name: unicodedata.normalize("NFD", name) for name in NAMES}
    dossier = DossierFactory(
        received=True,
        applicant_name=decomposed[NAMES[1]],
        applicant_address=decomposed[NAMES[2]],
        summary=decomposed[NAMES[0]],
    )
    event = DossierEvent.objects.create(
        dossier=dossier, at=clock.now, action=EventAction.RECEIVE, to_status=Status.RECEIVED,
        step_due_at=dossier.due_at,
    )  # fmt: skip
    text = document_text(services.render_for_event(event.pk))
    for name in NAMES:
        assert name in text, name
        assert unicodedata.normalize("NFD", name) not in text


def test_long_names_and_addresses_wrap_without_losing_text(catalog, clock, run_on_commit):
    name = ("Tôn Nữ Thị " * 20).strip()[:200]
    address = ("Thôn Đồng Thạnh, xã Quảng Lập, huyện Đơn Dương, tỉnh Lâm Đồng; " * 8)[:500]
    unbroken = "Nguyễn" + "x" * 150 + "Ẩn"  # one "word" wider than the page
    dossier = run_on_commit(
        file_walk_in,
        catalog,
        applicant_name=name,
        applicant_address=address,
        summary=f"{unbroken} {'Đề nghị cấp giấy chứng nhận quyền sử dụng đất. ' * 60}",
    )
    text = document_text(receipt_of(dossier))
    compact = text.replace(" ", "")
    assert name.replace(" ", "") in compact
    assert address.replace(" ", "") in compact
    assert unbroken in compact
    assert compact.count("Đềnghịcấpgiấychứngnhậnquyềnsửdụngđất.") == 60


def test_forty_papers_make_a_multi_page_table(catalog, clock, run_on_commit):
    papers = add_documents(catalog.version, 40)
    files = {"to-khai": [pdf()], **{paper.code: [pdf()] for paper in papers}}
    dossier = run_on_commit(file_walk_in, catalog, files=files)
    receipt = receipt_of(dossier)
    content = document_bytes(receipt)
    reader = pdf_reader(content)
    assert receipt.pages == len(reader.pages) >= 2
    text = document_text(receipt)
    for paper in papers:
        assert paper.name in text, paper.name
    # The table's header repeats on every page it spans.
    assert text.count("Bản sao chứng thực") >= 2
    second = reader.pages[1].extract_text()
    assert "STT" in second and "Tên giấy tờ" in second
    # The appointment and the signature blocks are still there after the table.
    assert "Thời gian trả kết quả giải quyết hồ sơ" in text
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ" in text


HOSTILE = {
    "applicant_name": "<script>alert('x')</script> Lê Văn Tám",
    "applicant_address": '<img src="http://169.254.169.254/latest/meta-data"> & <b>Đà Lạt</b>',
    "summary": "</td></tr></table><h1>Giả mạo</h1><style>body{display:none}</style>",
}


def test_html_and_script_are_printed_as_text(catalog, clock, run_on_commit):
    catalog.agency.name = "Ủy ban <i>nhân dân</i> & <script>x()</script>"
    catalog.agency.save()
    catalog.version.documents.filter(code="to-khai").update(name="Tờ khai <u>đăng ký</u>")
    dossier = run_on_commit(file_walk_in, catalog, **HOSTILE)
    receipt = receipt_of(dossier)
    content = document_bytes(receipt)
    text = document_text(receipt)
    compact = text.replace(" ", "")  # long unbroken markup wraps anywhere: ignore spaces
    for value in HOSTILE.values():
        assert value.replace(" ", "") in compact, value
    assert "<script>alert('x')</script> Lê Văn Tám" in text
    assert "Tờ khai <u>đăng ký</u>" in text
    assert "Ủy ban <i>nhân dân</i> & <script>x()</script>" in text
    # No markup was interpreted: no image fetched or embedded, the page still renders.
    for page in pdf_reader(content).pages:
        xobjects = (page.get("/Resources") or {}).get("/XObject") or {}
        assert all(x.get_object().get("/Subtype") != "/Image" for x in xobjects.values())


def test_hostile_text_in_the_other_forms(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_online, catalog, applicant_name=HOSTILE["applicant_name"])
    reason = "<script>document.write('x')</script> Thiếu <b>bản sao</b>"
    run_on_commit(transition, dossier.code, "refuse", catalog.desk, reason=reason)
    refusal = GeneratedDocument.objects.get(dossier=dossier, kind="refusal")
    text = document_text(refusal)
    assert reason in text
    assert HOSTILE["applicant_name"] in text

    other = run_on_commit(file_walk_in, catalog, summary=HOSTILE["summary"])
    documents = ["<i>Giấy khai sinh</i>", "Sổ hộ khẩu </table>"]
    run_on_commit(
        transition, other.code, "request-supplement", catalog.desk,
        reason="<h1>Thiếu</h1>", documents=documents,
    )  # fmt: skip
    text = document_text(GeneratedDocument.objects.get(dossier=other, kind="supplement_request"))
    assert all(name in text for name in documents)
    assert "<h1>Thiếu</h1>" in text
    assert HOSTILE["summary"].replace(" ", "") in text.replace(" ", "")
