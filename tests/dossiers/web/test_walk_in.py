"""Walk-in filing at the desk: the procedure picker /desk/new/ and /desk/new/<code>/, received
at once (status 2) through the same filing service."""

from __future__ import annotations

import pytest

from dossiers.models import Attachment, Dossier, Status
from procedures.search import build_search_text
from tests.dossiers.web.conftest import client_for, real_pdf

pytestmark = pytest.mark.django_db

APPLICANT = {
    "applicant_name": "Phạm Văn An",
    "applicant_id_number": "068099887766",
    "applicant_phone": "0977000111",
    "applicant_address": "3 Hùng Vương, Đà Lạt",
    "submission_key": "walk-in-key-1",
}


def test_picker_access(web, stranger):
    assert client_for(None).get("/desk/new/").status_code == 302
    assert client_for(stranger).get("/desk/new/").status_code == 403
    assert client_for(web.specialist).get("/desk/new/").status_code == 403
    assert client_for(web.desk).get("/desk/new/").status_code == 200


def test_picker_finds_a_procedure_by_name_or_code(web):
    version = web.version
    version.name = "Đăng ký khai sinh"
    version.search_text = build_search_text(
        code=web.code, local_code="", name=version.name, keywords="", sector_names=[]
    )
    version.save(update_fields=["name", "search_text"])
    client = client_for(web.desk)
    for query in ("dang ky khai sinh", web.code):
        html = client.get("/desk/new/", {"q": query}).content.decode()
        assert f'href="/desk/new/{web.code}/"' in html
    assert f"/desk/new/{web.code}/" not in client.get("/desk/new/?q=xay+dung").content.decode()


def test_walk_in_is_received_at_once(web):
    client = client_for(web.desk)
    form = client.get(f"/desk/new/{web.code}/").content.decode()
    assert 'name="applicant_name"' in form and 'value="Phạm Văn An"' not in form
    data = {**APPLICANT, "doc_to-khai": [real_pdf("a.pdf"), real_pdf("b.pdf", "B")]}
    response = client.post(f"/desk/new/{web.code}/", data, follow=True)
    dossier = Dossier.objects.get()
    assert dossier.status == Status.RECEIVED
    assert dossier.received_at is not None and dossier.due_at is not None
    assert dossier.applicant is None and dossier.created_by == web.desk
    assert response.redirect_chain[-1][0] == f"/desk/dossiers/{dossier.code}/"
    assert f"Mã hồ sơ: {dossier.code}" in response.content.decode()
    assert Attachment.objects.filter(dossier=dossier).count() == 2


def test_desk_of_another_agency_cannot_receive_it(web, outsider):
    data = {**APPLICANT, "doc_to-khai": real_pdf()}
    response = client_for(outsider).post(f"/desk/new/{web.code}/", data)
    assert response.status_code == 400
    assert "không tiếp nhận thủ tục này" in response.content.decode()
    assert Dossier.objects.count() == 0


def test_citizen_cannot_use_the_walk_in_form(web):
    response = client_for(web.citizen).post(f"/desk/new/{web.code}/", APPLICANT)
    assert response.status_code == 403
    assert Dossier.objects.count() == 0
