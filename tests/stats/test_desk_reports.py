"""``/desk/reports/``: the same figures restricted to the agencies of the signed-in staff member,
per-step lateness by agency and person, the ledger link; another agency's figures never leak
(page, filters, exports)."""

import io

import pytest
from openpyxl import load_workbook

from dossiers.workflow import transition
from tests.dossiers.factories import pdf
from tests.factories import UserFactory
from tests.stats.factories import file, make_world
from tests.stats.pages import column, tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clock, run_on_commit):
    world = make_world()
    c, d = world.commune, world.district
    with run_on_commit():
        a = file(c, "direct")
        transition(a.code, "assign", c.desk, assignee=c.specialist.username)
        for _ in range(3):
            b = file(d, "direct")
        transition(b.code, "assign", d.desk, assignee=d.specialist.username)
    clock.advance(days=12)  # past every appointment
    with run_on_commit():
        transition(a.code, "complete", c.leader, result_summary="Xong", result_file=pdf())
        transition(b.code, "complete", d.leader, result_summary="Xong", result_file=pdf())
    return world


def test_staff_see_only_their_agencies(client, world):
    client.force_login(world.commune.desk)
    response = client.get("/desk/reports/", {"year": 2025})
    assert response.status_code == 200
    html = response.content.decode()
    page = tables(html)
    assert column(page["summary"], "Tổng số hồ sơ") == {"Năm 2025": "1"}
    assert list(column(page["agencies"], "Tổng số hồ sơ")) == [
        world.commune.agency.name,
        "Tổng cộng",
    ]
    assert world.district.agency.name not in html
    assert world.district.specialist.get_full_name() not in html
    assert 'href="/desk/ledger/"' in html


def test_step_lateness_by_agency_and_person(client, world):
    client.force_login(world.district.leader)
    page = tables(client.get("/desk/reports/", {"year": 2025}).content.decode())
    late = column(page["step_people"], "Số bước trễ hạn")
    assert late[world.district.specialist.get_full_name()] == "1"
    assert late[world.district.desk.get_full_name()] == "0"
    assert column(page["step_agencies"], "Số bước trễ hạn") == {world.district.agency.name: "1"}


def test_another_agency_cannot_be_asked_for(client, world):
    client.force_login(world.commune.desk)
    response = client.get("/desk/reports/", {"agency": world.district.agency.code})
    assert response.status_code == 403
    response = client.get("/desk/reports/", {"agency": world.district.agency.code, "format": "csv"})
    assert response.status_code == 403


def test_exports_are_scoped_too(client, world):
    client.force_login(world.commune.desk)
    csv_text = client.get("/desk/reports/", {"year": 2025, "format": "csv"}).content.decode(
        "utf-8-sig"
    )
    assert world.commune.agency.name in csv_text
    assert world.district.agency.name not in csv_text
    response = client.get("/desk/reports/", {"year": 2025, "format": "xlsx"})
    workbook = load_workbook(io.BytesIO(response.content))
    texts = {str(c.value) for sheet in workbook for row in sheet.iter_rows() for c in row}
    assert world.commune.agency.name in texts
    assert world.district.agency.name not in texts
    assert "step_people" in workbook.sheetnames


def test_superusers_see_every_agency(client, world):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    page = tables(client.get("/desk/reports/", {"year": 2025}).content.decode())
    assert column(page["summary"], "Tổng số hồ sơ") == {"Năm 2025": "4"}


def test_anonymous_are_sent_to_login_and_citizens_refused(client, world):
    response = client.get("/desk/reports/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(world.commune.citizen)
    assert client.get("/desk/reports/").status_code == 403


def test_reports_are_never_cached_across_users(client, world):
    client.force_login(world.commune.desk)
    client.get("/desk/reports/", {"year": 2025})
    client.force_login(world.district.desk)
    html = client.get("/desk/reports/", {"year": 2025}).content.decode()
    assert world.commune.agency.name not in html
    assert world.district.agency.name in html
