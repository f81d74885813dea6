"""Downloads, print page and links: the dossier's owner and staff in scope get the PDF, anybody
else a 404 exactly like an unknown dossier; the API links to the PDFs; lists stay flat."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossiers.documents import documents_for_dossier
from dossiers.models_documents import GeneratedDocument
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online
from tests.dossiers.documents.factories import pdf_text
from tests.dossiers.factories import Catalog, pdf
from tests.factories import CitizenFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_online, catalog, applicant_name="Huỳnh Thị Bích Ngọc Ẩn")
    run_on_commit(transition, dossier.code, "receive", catalog.desk)
    return dossier


def receipt_url(dossier, **params) -> str:
    receipt = GeneratedDocument.objects.get(dossier=dossier, kind="receipt")
    url = reverse("documents:download", args=[dossier.code, receipt.pk])
    return url + ("?download=1" if params.get("download") else "")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_owner_and_staff_in_scope_download_the_pdf(client, catalog, received):
    for user in (catalog.citizen, catalog.desk, catalog.leader, UserFactory(is_superuser=True)):
        client.force_login(user)
        response = client.get(receipt_url(received))
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("inline")
        assert response["Cache-Control"] == "private, no-store"
        assert response["X-Frame-Options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
        assert "Huỳnh Thị Bích Ngọc Ẩn" in pdf_text(body(response))
    download = client.get(receipt_url(received, download=True))
    assert download["Content-Disposition"].startswith("attachment")
    assert f"receipt-{received.code}.pdf" in download["Content-Disposition"]


def test_everybody_else_gets_404(client, catalog, received):
    elsewhere = Catalog()  # another agency with its own staff
    for user in (CitizenFactory(), elsewhere.desk, elsewhere.leader, staff_user(elsewhere.agency)):
        client.force_login(user)
        assert client.get(receipt_url(received)).status_code == 404
        assert client.get(receipt_url(received, download=True)).status_code == 404
        print_url = reverse(
            "documents:print", args=[received.code, received.generated_documents.get().pk]
        )
        assert client.get(print_url).status_code == 404
        latest = reverse("documents:latest", args=[received.code, "process_control"])
        assert client.get(latest).status_code == 404
    assert not GeneratedDocument.objects.filter(kind="process_control").exists()


def test_anonymous_is_sent_to_login(client, received):
    response = client.get(receipt_url(received))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_document_is_only_found_under_its_own_dossier(client, catalog, received, run_on_commit):
    other = run_on_commit(file_online, catalog)
    run_on_commit(transition, other.code, "receive", catalog.desk)
    foreign = GeneratedDocument.objects.get(dossier=other, kind="receipt")
    client.force_login(catalog.citizen)  # owns both
    assert (
        client.get(reverse("documents:download", args=[received.code, foreign.pk])).status_code
        == 404
    )
    for code in ("KHONG-CO", "x\x00y", "a" * 80):
        assert client.get(f"/dossiers/{code}/documents/{foreign.pk}/").status_code == 404


def test_print_page_opens_the_pdf_and_the_print_dialog(client, catalog, received):
    client.force_login(catalog.desk)
    document = received.generated_documents.get()
    response = client.get(reverse("documents:print", args=[received.code, document.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    download = reverse("documents:download", args=[received.code, document.pk])
    assert f'src="{download}"' in html and 'data-autoprint="1"' in html
    assert "/static/js/documents-print.js" in html
    assert "Mẫu số 01" in html and document.sha256 in html
    assert "<script>" not in html.split("</head>")[1]  # no inline script (CSP)
    csp = response["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe" not in csp


def test_latest_links_render_a_missing_form_at_once(client, catalog, clock):
    # Received without running on-commit hooks: the task never ran, the link still works.
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)
    assert not GeneratedDocument.objects.filter(dossier=dossier).exists()
    client.force_login(catalog.citizen)
    response = client.get(reverse("documents:latest", args=[dossier.code, "receipt"]))
    assert response.status_code == 200
    assert dossier.code in pdf_text(body(response))
    assert GeneratedDocument.objects.filter(dossier=dossier, kind="receipt").count() == 1
    client.get(reverse("documents:latest", args=[dossier.code, "receipt"]))
    assert GeneratedDocument.objects.filter(dossier=dossier, kind="receipt").count() == 1
    for kind in ("refusal", "apology", "ledger", "result", "nope"):
        assert client.get(f"/dossiers/{dossier.code}/documents/latest/{kind}/").status_code == 404
    sheet = client.get(reverse("documents:latest", args=[dossier.code, "process_control"]))
    assert sheet.status_code == 200 and "Mẫu số 05" in pdf_text(body(sheet))


def test_api_detail_links_to_the_documents(api_client, catalog, received):
    api_client.force_authenticate(catalog.citizen)
    data = api_client.get(f"/api/v1/dossiers/{received.code}/").json()
    links = data["links"]
    assert links["receipt"] == (
        f"http://testserver/dossiers/{received.code}/documents/latest/receipt/"
    )
    assert links["process_control"].endswith(
        f"/dossiers/{received.code}/documents/latest/process_control/"
    )
    assert links["refusal"] is None and links["apology"] is None
    assert links["supplement_request"] is None


def test_api_list_links_add_no_queries(api_client, catalog, clock):
    """The link providers read loaded fields only: the list costs the same at 1 and 6 rows."""
    api_client.force_authenticate(catalog.desk)

    def listing() -> tuple[int, list[dict]]:
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get("/api/v1/dossiers/")
        assert response.status_code == 200
        return len(queries), response.json()["results"]

    transition(file_online(catalog).code, "receive", catalog.desk)
    small, rows = listing()
    assert len(rows) == 1 and rows[0]["links"]["receipt"].endswith("/latest/receipt/")
    for _ in range(5):
        transition(file_online(catalog).code, "receive", catalog.desk)
    large, rows = listing()
    assert len(rows) == 6 and all(row["links"]["receipt"] for row in rows)
    assert large == small


def test_documents_for_dossier_is_one_query_at_any_size(
    catalog, received, run_on_commit, django_assert_num_queries
):
    with django_assert_num_queries(1):
        small = documents_for_dossier(received)
    assert [d.kind for d in small] == ["receipt"]
    for reason in ("Thiếu A", "Thiếu B", "Thiếu C"):
        run_on_commit(
            transition, received.code, "request-supplement", catalog.desk,
            reason=reason, documents=[reason],
        )  # fmt: skip
        files = {"to-khai": [pdf(extra=reason.encode())]}
        run_on_commit(transition, received.code, "supplement", catalog.citizen, files=files)
    with django_assert_num_queries(1):
        large = documents_for_dossier(received)
    assert [d.kind for d in large] == ["receipt"] + ["supplement_request"] * 3
    assert large[1].label == "Mẫu số 02 – PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"
    assert large[1].url == reverse("documents:download", args=[received.code, large[1].id])


def test_the_partial_lists_the_documents_accessibly(catalog, received):
    html = render_to_string(
        "documents/_dossier_documents.html",
        {"documents": documents_for_dossier(received), "dossier_code": received.code},
    )
    assert '<th scope="col">' in html and '<th scope="row">' in html
    assert "Mẫu số 01" in html
    assert reverse("documents:latest", args=[received.code, "process_control"]) in html
    assert f"/dossiers/{received.code}/documents/" in html
    empty = render_to_string(
        "documents/_dossier_documents.html", {"documents": [], "dossier_code": received.code}
    )
    assert "Chưa có văn bản nào" in empty
