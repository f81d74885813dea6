"""Attachment downloads: permission-checked, unguessable URL, always a download, nosniff."""

from __future__ import annotations

import pytest

from tests.dossiers.conftest import file_online
from tests.dossiers.factories import pdf
from tests.dossiers.web.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(web):
    return file_online(web, files={"to-khai": [pdf("Tờ khai <bản 1>.pdf", b"x")]})


def url_of(attachment) -> str:
    token = attachment.storage_name.rsplit("/", 1)[-1].split(".")[0]
    return f"/dossiers/{attachment.dossier.code}/files/{token}/"


def test_owner_downloads_with_safe_headers(web, dossier):
    attachment = dossier.attachments.get()
    response = client_for(web.citizen).get(url_of(attachment))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "<" not in disposition and ">" not in disposition
    assert "T%E1%BB%9D%20khai" in disposition  # the Vietnamese name, encoded (RFC 5987)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]


def test_who_may_download(web, stranger, outsider, dossier):
    path = url_of(dossier.attachments.get())
    anonymous = client_for(None).get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(stranger).get(path).status_code == 404
    assert client_for(outsider).get(path).status_code == 404
    assert client_for(web.desk).get(path).status_code == 200


def test_sequential_ids_and_foreign_tokens_are_refused(web, stranger, dossier):
    attachment = dossier.attachments.get()
    client = client_for(web.citizen)
    assert client.get(f"/dossiers/{dossier.code}/files/{attachment.pk}/").status_code == 404
    # Another citizen's file cannot be fetched under one's own dossier code either.
    theirs = file_online(web, applicant_phone="0911222333")
    theirs.applicant = stranger
    theirs.save(update_fields=["applicant"])
    foreign = theirs.attachments.get()
    token = foreign.storage_name.rsplit("/", 1)[-1].split(".")[0]
    assert client.get(f"/dossiers/{dossier.code}/files/{token}/").status_code == 404
    assert client.get(url_of(foreign)).status_code == 404
    assert client_for(stranger).get(url_of(foreign)).status_code == 200
