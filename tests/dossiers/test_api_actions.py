"""POST /api/v1/dossiers/<code>/actions/<action>/: 200 / 400 / 403 / 404 / 409."""

import pytest

from dossiers.models import Status
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import Catalog, pdf

pytestmark = pytest.mark.django_db


def act(client, user, code, action, fmt="json", **body):
    client.force_authenticate(user)
    return client.post(f"/api/v1/dossiers/{code}/actions/{action}/", body, format=fmt)


def test_full_lifecycle_over_the_api(api_client, catalog):
    code = file_online(catalog).code
    assert act(api_client, catalog.desk, code, "receive", note="OK").json()["status"] == 2
    body = act(api_client, catalog.desk, code, "assign", assignee=catalog.specialist.username)
    assert body.json()["assignee"] == catalog.specialist.username
    response = act(
        api_client,
        catalog.specialist,
        code,
        "request-supplement",
        reason="Thiếu",
        documents=["Bản sao CCCD", "Ảnh"],
    )
    assert response.json()["status"] == Status.SUPPLEMENT_REQUESTED
    response = act(
        api_client,
        catalog.citizen,
        code,
        "supplement",
        fmt="multipart",
        note="Đã bổ sung",
        **{"doc_to-khai": pdf(extra=b"v2")},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == Status.PROCESSING
    response = act(
        api_client,
        catalog.leader,
        code,
        "complete",
        fmt="multipart",
        result_summary="Đã cấp",
        result_file=pdf("kq.pdf"),
    )
    assert response.status_code == 200, response.json()
    assert response.json()["links"]["result"].endswith("/")
    response = act(api_client, catalog.desk, code, "return", method="desk")
    assert response.json()["status"] == Status.RETURNED
    assert response.json()["timeliness"] == "early"


def test_error_codes(api_client, catalog):
    code = file_online(catalog).code
    stranger = Catalog()
    assert act(api_client, stranger.desk, code, "receive").status_code == 404
    assert act(api_client, stranger.citizen, code, "withdraw", reason="x").status_code == 404
    response = act(api_client, catalog.specialist, code, "receive")
    assert response.status_code == 403 and response.json()["detail"]
    response = act(api_client, catalog.leader, code, "complete", result_summary="x")
    assert response.status_code == 409
    assert "Mới đăng ký" in response.json()["detail"]
    response = act(api_client, catalog.desk, code, "refuse")
    assert response.status_code == 400 and "reason" in response.json()
    assert act(api_client, catalog.desk, code, "fly").status_code == 404
    assert act(api_client, catalog.desk, "NOPE-1", "receive").status_code == 404


def test_client_cannot_smuggle_internal_payload(api_client, catalog):
    code = file_online(catalog).code
    act(api_client, catalog.desk, code, "receive")
    act(api_client, catalog.desk, code, "assign", assignee=catalog.specialist.username)
    response = act(api_client, catalog.leader, code, "complete", result_summary="x", checked="boom")
    assert response.status_code == 400
    assert "result_file" in response.json()
