"""Hostile uploads: path-traversal names, renamed executables and disguised HTML, a polyglot,
a zip bomb, and bodies larger than any upload limit."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dossiers.models import Attachment, Dossier
from tests.dossiers.factories import EXE_BYTES, PDF_BYTES, pdf
from tests.security.conftest import World, applicant

pytestmark = pytest.mark.django_db

ZIP_TYPES = (
    "application/pdf,application/zip,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)


def file_with(world: World, upload, *, phone: str = "0912000111"):
    data = applicant("Trần Thị Tệp", "068100200300", phone)
    data["procedure"] = world.procedure_code
    data["doc_to-khai"] = upload
    return world.client("owner", api=True).post(
        reverse("api-dossier-list"), data, format="multipart"
    )


def private_root(settings) -> Path:
    return Path(settings.STORAGES["private"]["OPTIONS"]["location"]).resolve()


@pytest.mark.parametrize(
    "name",
    [
        "../../../../../tmp/pwned-by-upload.pdf",
        "..\\..\\..\\windows\\system32\\pwned.pdf",
        "/etc/cron.d/pwned.pdf",
        "giấy tờ\x00.pdf.exe",
        "%2e%2e%2fpwned.pdf",
        "a" * 300 + ".pdf",
    ],
)
def test_a_path_traversal_file_name_stays_a_display_name(world_media, settings, name):
    world = world_media
    response = file_with(world, SimpleUploadedFile(name, PDF_BYTES, "application/pdf"))
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(dossier__code=response.json()["code"])
    stored = (private_root(settings) / attachment.storage_name).resolve()
    assert stored.is_file()
    assert stored.is_relative_to(private_root(settings))
    assert attachment.storage_name.startswith("dossiers/")
    for part in ("..", "/", "\\", "\x00"):
        assert part not in attachment.original_name
    assert len(attachment.original_name) <= 150
    assert not Path("/tmp/pwned-by-upload.pdf").exists()

    download = world.client("owner").get(
        reverse(
            "dossiers:attachment",
            kwargs={"code": attachment.dossier.code, "token": world.token(attachment)},
        )
    )
    disposition = download["Content-Disposition"]
    b"".join(download.streaming_content)
    assert disposition.startswith("attachment;")
    assert ".." not in disposition and "/" not in disposition.split("filename", 1)[1]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("giay-to.pdf", EXE_BYTES, "tệp chương trình"),
        ("to-khai.pdf", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "text/html"),
        ("anh.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "svg"),
        ("to-khai.pdf", b"#!/bin/sh\nrm -rf /\n", "text/x-shellscript"),
        ("to-khai.pdf", b"PK\x03\x04" + b"\x00" * 100, "zip"),
    ],
)
def test_content_is_judged_by_its_bytes_not_its_name(world_media, name, content, reason):
    before = Dossier.objects.count()
    response = file_with(world_media, SimpleUploadedFile(name, content, "application/pdf"))
    assert response.status_code == 400
    message = str(response.json()["doc_to-khai"])
    assert "không đúng định dạng" in message
    assert reason.split("/")[-1].split("-")[-1] in message.lower() or reason in message
    assert Dossier.objects.count() == before


def test_a_pdf_html_polyglot_is_only_ever_served_as_a_pdf_download(world_media):
    """A file that is a valid PDF to libmagic and HTML to a lax browser: stored, but served
    as an attachment, with its sniffed type, nosniff and no caching."""
    world = world_media
    polyglot = PDF_BYTES + b"<html><body><script>alert(document.cookie)</script></body></html>"
    response = file_with(world, SimpleUploadedFile("poly.html", polyglot, "text/html"))
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(dossier__code=response.json()["code"])
    assert attachment.content_type == "application/pdf"
    assert attachment.storage_name.endswith(".pdf")
    for url in (
        reverse(
            "dossiers:attachment",
            kwargs={"code": attachment.dossier.code, "token": world.token(attachment)},
        ),
        reverse(
            "api-dossier-attachment",
            kwargs={"code": attachment.dossier.code, "pk": attachment.pk},
        ),
    ):
        download = world.client("owner").get(url)
        assert download.status_code == 200
        b"".join(download.streaming_content)
        assert download["Content-Type"] == "application/pdf"
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in download["Cache-Control"]


def zip_bomb(uncompressed_mb: int) -> bytes:
    """A .docx-shaped zip whose one member inflates to ``uncompressed_mb`` MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(uncompressed_mb):
                member.write(chunk)
    return buffer.getvalue()


def test_a_zip_bomb_is_never_inflated(world_media):
    """The validator sniffs the first bytes only: a 1 GB bomb (≈1 MB on the wire) is judged
    and stored as the compressed bytes, with a bounded memory peak."""
    world = world_media
    document = world.version.documents.get(code="to-khai")
    document.accepted_types = ZIP_TYPES
    document.save(update_fields=["accepted_types"])
    bomb = zip_bomb(1024)
    assert len(bomb) < 2 * 1024 * 1024
    tracemalloc.start()
    try:
        response = file_with(world, SimpleUploadedFile("bom.docx", bomb, "application/zip"))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get(dossier__code=response.json()["code"])
    assert attachment.size == len(bomb)
    assert peak < 64 * 1024 * 1024, f"memory peak {peak / 2**20:.0f} MB: something inflated it"


def test_a_body_larger_than_every_upload_limit_is_refused_before_it_is_read(world_media):
    from portal.security import request_max_bytes

    world = world_media
    client = world.client("owner", api=True)
    too_big = request_max_bytes() + 1
    response = client.generic(
        "POST",
        reverse("api-dossier-list"),
        b"x" * 10,
        content_type="multipart/form-data; boundary=B",
        CONTENT_LENGTH=str(too_big),
    )
    assert response.status_code == 413
    assert "quá lớn" in response.json()["detail"]
    page = world.client("owner").generic(
        "POST",
        reverse("dossiers:new", kwargs={"procedure_code": world.procedure_code}),
        b"x",
        content_type="multipart/form-data; boundary=B",
        CONTENT_LENGTH=str(too_big),
    )
    assert page.status_code == 413
    assert "quá lớn" in page.content.decode()
    assert page["Content-Type"].startswith("text/html")


def test_a_file_over_the_per_file_limit_is_a_413_with_a_reason(world_media, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    response = file_with(world_media, pdf(extra=b"0" * 2048))
    assert response.status_code == 413
    assert "MB" in response.json()["detail"]
