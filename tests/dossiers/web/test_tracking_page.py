"""Public tracking /track/: code + phone, public steps only, wrong phone indistinguishable from
an unknown code, rate-limited per IP."""

from __future__ import annotations

import pytest

from dossiers.workflow import transition
from tests.dossiers.conftest import file_online
from tests.dossiers.web.conftest import client_for, without_csrf

pytestmark = pytest.mark.django_db


@pytest.fixture
def dossier(web):
    dossier = file_online(web, applicant_phone="0912345678")
    transition(dossier.code, "receive", web.desk, note="Ghi chú nội bộ")
    transition(dossier.code, "assign", web.desk, assignee=web.specialist.username)
    dossier.refresh_from_db()
    return dossier


def lookup(client, code: str, phone: str):
    return client.post("/track/", {"code": code, "phone": phone})


def test_form_without_login_and_code_prefilled_from_the_link(dossier):
    response = client_for(None).get(f"/track/?code={dossier.code}")
    assert response.status_code == 200
    assert f'value="{dossier.code}"' in response.content.decode()


def test_found_shows_public_facts_only(web, dossier):
    response = lookup(client_for(None), dossier.code, "+84 912 345 678")
    assert response.status_code == 200
    html = response.content.decode()
    assert dossier.code in html
    assert web.version.name in html
    assert "Đang xử lý" in html
    assert dossier.received_at.astimezone().strftime("%d/%m/%Y %H:%M") in html
    assert dossier.due_at.astimezone().strftime("%d/%m/%Y %H:%M") in html
    assert "Phân công xử lý" in html and web.agency.name in html
    assert "Ghi chú nội bộ" not in html
    assert web.desk.get_full_name() not in html
    assert web.specialist.get_full_name() not in html
    assert dossier.applicant_id_number not in html


def test_wrong_phone_looks_exactly_like_an_unknown_code(dossier):
    client = client_for(None)
    wrong_phone = lookup(client, dossier.code, "0999999999")
    unknown = lookup(client, "KHONG-CO-0001", "0999999999")
    assert wrong_phone.status_code == unknown.status_code == 404
    assert "Không tìm thấy hồ sơ" in wrong_phone.content.decode()
    # Identical but for the echoed code (and the per-response CSRF token).
    first = without_csrf(wrong_phone.content).replace(dossier.code.encode(), b"<CODE>")
    second = without_csrf(unknown.content).replace(b"KHONG-CO-0001", b"<CODE>")
    assert first == second


def test_lookups_are_rate_limited_per_ip(settings, dossier):
    settings.TRACK_PAGE_RATE = "3/day"
    client = client_for(None)
    for _ in range(3):
        assert lookup(client, dossier.code, "0912345678").status_code == 200
    assert client.get("/track/").status_code == 200  # showing the form is not a lookup
    limited = lookup(client, dossier.code, "0912345678")
    assert limited.status_code == 429
    assert "Bạn đã tra cứu quá nhiều lần" in limited.content.decode()
    assert int(limited["Retry-After"]) > 0
    other_ip = client_for(None).post(
        "/track/", {"code": dossier.code, "phone": "0912345678"}, REMOTE_ADDR="10.0.0.9"
    )
    assert other_ip.status_code == 200


def test_bad_input_is_400_not_500(dossier):
    assert lookup(client_for(None), "abc\x00", "0912").status_code == 400
