"""POST /api/v1/dossiers/ (multipart): citizens online, desk staff walk-in."""

import pytest
from django.core.files.storage import storages

from dossiers.models import Dossier
from tests.dossiers.factories import Catalog, applicant_data, exe_renamed, pdf

pytestmark = pytest.mark.django_db
URL = "/api/v1/dossiers/"


def post(client, user, catalog, files=None, headers=None, **fields):
    client.force_authenticate(user)
    body = {"procedure": catalog.code, **applicant_data(), **fields}
    body.update(files if files is not None else {"doc_to-khai": pdf()})
    return client.post(URL, body, format="multipart", headers=headers or {})


def test_citizen_files_online(api_client, catalog):
    response = post(api_client, catalog.citizen, catalog)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == 1
    assert body["status_label"] == "Mới đăng ký"
    assert body["code"].startswith(catalog.agency.code + "-")
    assert body["receiving_agency"] == body["current_agency"] == catalog.agency.code
    assert body["received_at"] is None and body["due_at"] is None
    assert set(body["links"]) >= {"receipt", "result", "payment", "self"}
    assert body["actions"] == ["withdraw"]
    assert len(body["attachments"]) == 1


def test_desk_files_walk_in_and_it_is_received(api_client, catalog):
    response = post(api_client, catalog.desk, catalog)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == 2 and body["channel"] == "direct"
    assert body["received_at"] and body["due_at"]
    assert Dossier.objects.get().applicant is None


def test_several_files_per_document(api_client, catalog):
    files = {"doc_to-khai": [pdf("a.pdf"), pdf("b.pdf", extra=b"2")]}
    response = post(api_client, catalog.citizen, catalog, files=files)
    assert response.status_code == 201
    assert len(response.json()["attachments"]) == 2


def test_double_submit_with_the_same_key_returns_the_same_dossier(api_client, catalog):
    first = post(api_client, catalog.citizen, catalog, headers={"Idempotency-Key": "k-1"})
    second = post(api_client, catalog.citizen, catalog, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert first.json()["code"] == second.json()["code"]
    assert Dossier.objects.count() == 1
    third = post(api_client, catalog.citizen, catalog, submission_key="k-2")
    assert third.json()["code"] != first.json()["code"]


class TestBadInput:
    def test_exe_renamed_pdf_is_400(self, api_client, catalog):
        response = post(api_client, catalog.citizen, catalog, files={"doc_to-khai": exe_renamed()})
        assert response.status_code == 400
        assert "doc_to-khai" in response.json()
        assert not Dossier.objects.exists()

    def test_oversize_is_413(self, api_client, catalog, settings):
        settings.ATTACHMENT_MAX_BYTES = 500
        response = post(
            api_client, catalog.citizen, catalog, files={"doc_to-khai": pdf(extra=b"x" * 600)}
        )
        assert response.status_code == 413
        assert "MB" in response.json()["detail"]
        assert not Dossier.objects.exists()
        assert not storages["private"].exists("dossiers")

    def test_missing_document_invalid_cccd_and_phone_are_field_errors(self, api_client, catalog):
        response = post(
            api_client,
            catalog.citizen,
            catalog,
            files={},
            applicant_id_number="12",
            applicant_phone="abc",
        )
        assert response.status_code == 400
        body = response.json()
        assert body["doc_to-khai"] == ["Thiếu giấy tờ bắt buộc: Giấy tờ to-khai."]
        assert body["applicant_id_number"] == ["Số CCCD phải gồm đúng 12 chữ số."]
        assert "applicant_phone" in body

    def test_badly_named_file_field_is_400(self, api_client, catalog):
        response = post(
            api_client, catalog.citizen, catalog, files={"doc_to-khai": pdf(), "evil": pdf()}
        )
        assert response.status_code == 400
        assert "evil" in response.json()

    def test_unknown_procedure_is_400(self, api_client, catalog):
        response = post(api_client, catalog.citizen, catalog, procedure="nope")
        assert response.status_code == 400
        assert "procedure" in response.json()

    def test_nul_byte_is_400_not_500(self, api_client, catalog):
        response = post(api_client, catalog.citizen, catalog, summary="a\x00b")
        assert response.status_code == 400

    def test_citizen_cannot_claim_direct_channel(self, api_client, catalog):
        response = post(api_client, catalog.citizen, catalog, channel="direct")
        assert response.status_code == 403
        assert response.json()["detail"]

    def test_anonymous_cannot_file(self, api_client, catalog):
        response = api_client.post(URL, {"procedure": catalog.code}, format="multipart")
        assert response.status_code in (401, 403)

    def test_desk_of_another_agency_is_refused(self, api_client, catalog):
        other = Catalog()
        response = post(api_client, other.desk, catalog)
        assert response.status_code == 400
        assert "receiving_agency" in response.json()


def test_the_walk_in_201_body_is_the_dossier_as_read_back(api_client, catalog):
    """Status 2 (received: deadlines, receipt link, the desk's actions) answered without the
    serializer must equal the serializer's answer."""
    created = post(api_client, catalog.desk, catalog, pickup_by_post="")
    assert created.status_code == 201
    assert created.json()["status"] == 2
    read = api_client.get(f"{URL}{created.json()['code']}/")
    assert created.json() == read.json()


def test_the_201_body_is_the_dossier_as_read_back(api_client, catalog):
    """The response is built from the rows just written, not read back: it must not differ."""
    files = {"doc_to-khai": [pdf("a.pdf"), pdf("b.pdf", extra=b"2")]}
    created = post(api_client, catalog.citizen, catalog, files=files)
    assert created.status_code == 201
    read = api_client.get(f"{URL}{created.json()['code']}/")
    assert read.status_code == 200
    assert created.json() == read.json()


@pytest.mark.parametrize("copies", [1, 4])
def test_filing_has_a_fixed_query_budget(
    api_client, catalog, copies, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    """Whatever the number of files (one INSERT for the attachments), side effects included.

    6 of the budget are statements: the dossier's id (one reservation every
    ``DOSSIER_ID_BLOCK`` filings of a process, counted here in case this filing is one of them),
    its attachments and history row, the code counter, the dossier and the procedure's filing
    count (the last three hold the counter's lock until the commit). The published version comes
    from the per-process catalog copy (warmed by the first filing), the citizen's profile is not
    read when the form gives its fields, postal's pickup check uses the signal's facts, the
    lists are dropped in Redis. The other 10 are the SAVEPOINT/RELEASE pairs the test
    transaction puts around the filing and each ``dossier_transitioned`` receiver (outside a
    test a receiver's transaction costs nothing when it makes no query)."""
    post(api_client, catalog.citizen, catalog)  # warm the counter row and the caches
    files = {"doc_to-khai": [pdf(f"{n}.pdf", extra=str(n).encode()) for n in range(copies)]}
    with django_assert_max_num_queries(16), django_capture_on_commit_callbacks(execute=True):
        response = post(api_client, catalog.citizen, catalog, files=files)
    assert response.status_code == 201
    assert len(response.json()["attachments"]) == copies
