"""Helpers of the documents tests: PDF text extraction, dossiers with many papers, rendering
the forms an event issues the way production does (on commit, through the task)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from dossiers.documents.services import open_document
from dossiers.models_documents import GeneratedDocument
from procedures.models import RequiredDocument


def pdf_reader(content: bytes) -> PdfReader:
    assert content.startswith(b"%PDF-"), content[:20]
    return PdfReader(io.BytesIO(content))


def pdf_text(content: bytes) -> str:
    """All the text of a PDF, whitespace collapsed (wrapped lines joined with one space)."""
    reader = pdf_reader(content)
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text)


def pdf_fonts(content: bytes) -> set[str]:
    """Base names of the fonts embedded in a PDF (subset prefixes removed)."""
    fonts: set[str] = set()
    for page in pdf_reader(content).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            name = str(font.get_object().get("/BaseFont", ""))
            fonts.add(name.split("+", 1)[-1].lstrip("/"))
    return fonts


def document_bytes(document: GeneratedDocument) -> bytes:
    with open_document(document) as handle:
        return handle.read()


def document_text(document: GeneratedDocument) -> str:
    return pdf_text(document_bytes(document))


def add_documents(version, count: int, *, prefix: str = "giay-to") -> list[RequiredDocument]:
    """``count`` more required papers on a catalog version (for the 40-paper receipts)."""
    return [
        RequiredDocument.objects.create(
            version=version,
            code=f"{prefix}-{index:02d}",
            name=f"Giấy tờ số {index:02d}: bản khai có xác nhận của Ủy ban nhân dân xã",
            required=True,
            originals=1,
            certified_copies=index % 3,
            photocopies=index % 2,
            position=100 + index,
        )
        for index in range(1, count + 1)
    ]


#: Every Vietnamese vowel with every tone mark, and đ/Đ, in both cases.
VIETNAMESE_LETTERS = (
    "aàáảãạ ăằắẳẵặ âầấẩẫậ eèéẻẽẹ êềếểễệ iìíỉĩị oòóỏõọ ôồốổỗộ ơờớởỡợ uùúủũụ ưừứửữự "
    "yỳýỷỹỵ đ AÀÁẢÃẠ ĂẰẮẲẴẶ ÂẦẤẨẪẬ EÈÉẺẼẸ ÊỀẾỂỄỆ IÌÍỈĨỊ OÒÓỎÕỌ ÔỒỐỔỖỘ ƠỜỚỞỠỢ "
    "UÙÚỦŨỤ ƯỪỨỬỮỰ YỲÝỶỸỴ Đ"
)


def read_qr_codes(content: bytes, page: int = 1) -> list[str]:
    """Scan a PDF page as a phone would: rasterise it (poppler's pdftoppm) and decode every
    QR code on it (zxing-cpp)."""
    import shutil
    import subprocess

    import pytest
    import zxingcpp
    from PIL import Image

    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: scripts/install_system_packages.sh")
    png = subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", str(page), "-l", str(page), "-singlefile", "-"],
        input=content,
        capture_output=True,
        check=True,
        timeout=30,
    ).stdout
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
