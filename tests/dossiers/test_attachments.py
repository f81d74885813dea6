"""Attachment checks and storage: content sniffing, limits, names, SHA-256, cleanup."""

import hashlib

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from dossiers.attachments import (
    AttachmentWriter,
    check_file,
    open_attachment,
    sanitize_filename,
)
from dossiers.errors import TooLarge, ValidationError
from dossiers.models import Attachment
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import PDF_BYTES, exe_renamed, pdf, png


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("Giấy khai sinh (bản sao).pdf", "Giấy khai sinh (bản sao).pdf"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
        ("<script>.pdf", "script_.pdf"),
        ("", "tep-dinh-kem"),
        ("...", "tep-dinh-kem"),
    ],
)
def test_file_names_are_sanitised(raw, clean):
    assert sanitize_filename(raw) == clean


def test_long_names_keep_their_extension():
    name = sanitize_filename("x" * 400 + ".pdf")
    assert len(name) == 150 and name.endswith(".pdf")


def test_content_decides_not_the_name():
    assert (
        check_file(png("scan.pdf"), field="f", accepted=["image/png"]).content_type == "image/png"
    )
    with pytest.raises(ValidationError):
        check_file(exe_renamed(), field="f", accepted=["application/pdf"])


def test_empty_file_is_refused():
    with pytest.raises(ValidationError):
        check_file(SimpleUploadedFile("a.pdf", b""), field="f", accepted=["application/pdf"])


def test_size_limit_is_per_file(settings):
    settings.ATTACHMENT_MAX_BYTES = len(PDF_BYTES)
    check_file(pdf(), field="f", accepted=["application/pdf"])
    with pytest.raises(TooLarge):
        check_file(pdf(extra=b"!"), field="f", accepted=["application/pdf"])


@pytest.mark.django_db
def test_stored_privately_under_a_random_name_with_sha256(catalog):
    dossier = file_online(catalog, files={"to-khai": [pdf("../../Tờ khai.pdf")]})
    attachment = dossier.attachments.get()
    assert attachment.original_name == "Tờ khai.pdf"
    assert attachment.storage_name.startswith("dossiers/")
    assert "Tờ" not in attachment.storage_name and attachment.storage_name.endswith(".pdf")
    assert attachment.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert attachment.content_type == "application/pdf"
    assert storages["private"].exists(attachment.storage_name)
    with open_attachment(attachment) as handle:
        assert handle.read() == PDF_BYTES


@pytest.mark.django_db
def test_several_files_per_document_and_duplicates_stored_once(catalog):
    dossier = file_online(
        catalog, files={"to-khai": [pdf("a.pdf"), pdf("b.pdf"), pdf("c.pdf", extra=b"2")]}
    )
    assert dossier.attachments.count() == 2


@pytest.mark.django_db
def test_writer_deletes_its_files_when_the_block_fails(catalog):
    dossier = file_online(catalog)
    checked = check_file(pdf(extra=b"new"), field="f", accepted=["application/pdf"])
    with pytest.raises(RuntimeError), AttachmentWriter() as writer:
        writer.store(dossier, checked, kind="supplement")
        written = list(writer.written)
        raise RuntimeError
    assert written and not storages["private"].exists(written[0])


@pytest.mark.django_db
def test_visible_to_follows_the_dossier(catalog):
    from tests.dossiers.factories import Catalog

    dossier = file_online(catalog)
    assert Attachment.objects.visible_to(catalog.citizen).count() == 1
    assert Attachment.objects.visible_to(Catalog().citizen).count() == 0
    assert Attachment.objects.visible_to(catalog.desk).get().dossier == dossier


@pytest.mark.django_db
def test_orphan_files_are_purged_after_a_grace_period(catalog):
    import datetime

    from django.core.files.base import ContentFile

    from dossiers.attachments import purge_orphan_files

    dossier = file_online(catalog)
    kept = dossier.attachments.get().storage_name
    storage = storages["private"]
    orphan = storage.save("dossiers/2025/01/orphan.pdf", ContentFile(PDF_BYTES))
    in_a_day = storage.save("dossiers/2025/01/02/orphan.pdf", ContentFile(PDF_BYTES))
    assert purge_orphan_files(datetime.timedelta(hours=1)) == 0  # too recent
    assert purge_orphan_files(datetime.timedelta(seconds=-1)) == 2
    assert not storage.exists(orphan) and not storage.exists(in_a_day)
    assert storage.exists(kept)


@pytest.mark.django_db
def test_files_are_stored_in_one_directory_per_local_day(catalog):
    from django.utils import timezone

    dossier = file_online(catalog)
    name = dossier.attachments.get().storage_name
    assert name.startswith(f"dossiers/{timezone.localdate():%Y/%m/%d}/")
