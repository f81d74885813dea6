"""The processing page /desk/dossiers/<code>/ and its action forms, each posting to a thin
view around workflow.transition (409 → message, 403 → message, field errors → the form)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.models import DossierEvent, Status
from dossiers.workflow import transition
from portal.models import Role
from tests.dossiers.conftest import file_online
from tests.dossiers.web.conftest import bulk_dossiers, client_for, real_pdf
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(web):
    return file_online(web)


def page(code: str) -> str:
    return f"/desk/dossiers/{code}/"


def act(code: str, action: str) -> str:
    return f"/desk/dossiers/{code}/actions/{action}/"


def forms_on(html: str) -> set[str]:
    return set(re.findall(r'/actions/([a-z\-]+)/"', html))


def test_access(web, stranger, outsider, submitted):
    anonymous = client_for(None).get(page(submitted.code))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert client_for(web.citizen).get(page(submitted.code)).status_code == 403
    assert client_for(stranger).get(page(submitted.code)).status_code == 403
    assert client_for(web.desk).get(page(submitted.code)).status_code == 200
    assert client_for(outsider).get(page(submitted.code)).status_code == 404
    assert client_for(outsider).post(act(submitted.code, "receive")).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_only_the_actions_the_user_may_take_are_offered(web, submitted):
    assert forms_on(client_for(web.desk).get(page(submitted.code)).content.decode()) == {
        "receive",
        "refuse",
        "withdraw",
    }
    assert forms_on(client_for(web.specialist).get(page(submitted.code)).content.decode()) == set()
    transition(submitted.code, "receive", web.desk)
    leader = forms_on(client_for(web.leader).get(page(submitted.code)).content.decode())
    assert {"assign", "suspend", "request-supplement", "request-payment"} <= leader
    assert "receive" not in leader and "return" not in leader


def test_desk_receives_through_the_page(web, submitted):
    response = client_for(web.desk).post(
        act(submitted.code, "receive"), {"receive-note": "Đủ giấy tờ"}, follow=True
    )
    submitted.refresh_from_db()
    assert submitted.status == Status.RECEIVED
    assert submitted.due_at is not None
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == page(submitted.code)
    assert "Đã thực hiện “Tiếp nhận hồ sơ”" in html
    # Staff see the full Mẫu 05 row: who and the note.
    assert web.desk.get_full_name() in html and "Đủ giấy tờ" in html


def test_a_409_race_is_shown_as_a_message(web, submitted):
    colleague = staff_user(web.agency, Role.DESK)
    first, second = client_for(web.desk), client_for(colleague)
    assert "receive" in forms_on(second.get(page(submitted.code)).content.decode())
    first.post(act(submitted.code, "receive"), {"receive-note": ""})
    response = second.post(act(submitted.code, "receive"), {"receive-note": ""}, follow=True)
    html = response.content.decode()
    assert "Hồ sơ đã được xử lý bởi người khác hoặc không còn ở trạng thái cho phép" in html
    assert DossierEvent.objects.filter(dossier=submitted, action="receive").count() == 1


def test_403_from_the_service_is_a_message(web, submitted):
    response = client_for(web.specialist).post(
        act(submitted.code, "receive"), {"receive-note": ""}, follow=True
    )
    assert "Bạn không có quyền thực hiện thao tác này." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_field_errors_return_to_the_form(web, submitted):
    client = client_for(web.desk)
    response = client.post(act(submitted.code, "refuse"), {"refuse-reason": ""})
    assert response.status_code == 400
    assert re.search(r'id="id_refuse-reason_error"', response.content.decode())
    transition(submitted.code, "receive", web.desk)
    # A rule of the service (at least one document) comes back on its field.
    response = client_for(web.specialist).post(
        act(submitted.code, "request-supplement"), {"request-supplement-reason": "Thiếu"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Cần nêu ít nhất một giấy tờ." in html
    assert 'id="id_request-supplement-documents_error"' in html
    submitted.refresh_from_db()
    assert submitted.status == Status.RECEIVED


def test_assignment_offers_the_agency_specialists(web, outsider, submitted):
    transition(submitted.code, "receive", web.desk)
    other_specialist = staff_user(outsider.memberships.get().agency, Role.SPECIALIST)
    html = client_for(web.desk).get(page(submitted.code)).content.decode()
    assert f'<option value="{web.specialist.username}"' in html
    assert other_specialist.username not in html
    tampered = client_for(web.desk).post(
        act(submitted.code, "assign"), {"assign-assignee": other_specialist.username}
    )
    assert tampered.status_code == 400
    client_for(web.desk).post(
        act(submitted.code, "assign"), {"assign-assignee": web.specialist.username}
    )
    submitted.refresh_from_db()
    assert submitted.status == Status.PROCESSING and submitted.assignee == web.specialist


def test_complete_with_a_pdf_then_return(web, submitted):
    transition(submitted.code, "receive", web.desk)
    transition(submitted.code, "assign", web.desk, assignee=web.specialist.username)
    client_for(web.leader).post(
        act(submitted.code, "complete"),
        {
            "complete-result_summary": "Cấp giấy khai sinh",
            "complete-result_file": real_pdf("kq.pdf"),
        },
    )
    submitted.refresh_from_db()
    assert submitted.status == Status.RESULT_READY
    assert submitted.attachments.filter(kind="result", original_name="kq.pdf").exists()
    client_for(web.desk).post(act(submitted.code, "return"), {"return-method": "desk"})
    submitted.refresh_from_db()
    assert submitted.status == Status.RETURNED


def test_unknown_action_is_404(web, submitted):
    assert client_for(web.desk).post(act(submitted.code, "teleport")).status_code == 404


def test_page_is_printable_without_scripts(web, submitted):
    html = client_for(web.desk).get(page(submitted.code)).content.decode()
    assert "<script" not in html and "style=" not in html
    assert 'class="actions no-print"' in html
    assert "css/dossiers.css" in html


def test_processing_page_query_count_is_fixed(web, submitted):
    client = client_for(web.leader)
    transition(submitted.code, "receive", web.desk)
    bulk_dossiers(web, 10)
    with CaptureQueriesContext(connection) as small:
        assert client.get(page(submitted.code)).status_code == 200
    bulk_dossiers(web, 990)
    for _ in range(3):
        staff_user(web.agency, Role.SPECIALIST)
    with CaptureQueriesContext(connection) as large:
        assert client.get(page(submitted.code)).status_code == 200
    # 11: the forward form's agency select is one list query, however many agencies.
    assert len(small) == len(large) <= 11
