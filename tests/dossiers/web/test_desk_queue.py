"""The desk queues /desk/: staff only, the agency's scope, tabs with counts, ordering by due
date, deadline highlighting, filters and search, and a fixed query count at any page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossiers.models import Status
from portal.models import Role
from procedures.models import Sector
from tests.dossiers.factories import Catalog, DossierFactory
from tests.dossiers.web.conftest import bulk_dossiers, client_for
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', response.content.decode())


def tab_count(response, key: str) -> int:
    match = re.search(rf'data-tab="{key}">(\d+)<', response.content.decode())
    assert match, key
    return int(match.group(1))


def make(catalog, code: str, **fields):
    fields.setdefault("received", True)
    return DossierFactory(
        code=code,
        procedure_version=catalog.version,
        procedure=catalog.procedure,
        receiving_agency=catalog.agency,
        applicant=catalog.citizen,
        **fields,
    )


def test_access(web, stranger, outsider):
    anonymous = client_for(None).get("/desk/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    citizen = client_for(stranger).get("/desk/")
    assert citizen.status_code == 403
    assert "dành cho cán bộ" in citizen.content.decode()
    assert client_for(web.desk).get("/desk/").status_code == 200
    assert client_for(web.specialist).get("/desk/").status_code == 200
    assert client_for(outsider).get("/desk/").status_code == 200


def test_staff_see_only_their_agency(web, outsider):
    make(web, "MINE-1", status=Status.SUBMITTED, received=False)
    other = Catalog()
    make(other, "THEIRS-1", status=Status.SUBMITTED, received=False)
    assert codes(client_for(web.desk).get("/desk/?tab=new")) == ["MINE-1"]
    assert codes(client_for(other.desk).get("/desk/?tab=new")) == ["THEIRS-1"]
    assert codes(client_for(outsider).get("/desk/?tab=new")) == []


def test_tabs_count_by_status_and_overdue(web):
    now = timezone.now()
    make(web, "S1", status=Status.SUBMITTED, received=False)
    make(web, "S2", status=Status.RECEIVED)
    for number in range(3):
        make(web, f"S4-{number}", status=Status.PROCESSING)
    make(web, "S4-LATE", status=Status.PROCESSING, due_at=now - datetime.timedelta(hours=2))
    make(web, "S5", status=Status.SUPPLEMENT_REQUESTED, paused_at=now)
    make(web, "S6", status=Status.PAYMENT_REQUESTED, paused_at=now)
    make(web, "S8", status=Status.SUSPENDED, paused_at=now)
    make(web, "S9", status=Status.RESULT_READY)
    make(web, "S10", status=Status.RETURNED, returned_at=now)
    make(web, "S3", status=Status.REFUSED)
    response = client_for(web.desk).get("/desk/")
    expected = {
        "new": 1,
        "received": 1,
        "processing": 4,
        "supplement": 1,
        "payment": 1,
        "suspended": 1,
        "overdue": 1,
        "result": 1,
    }
    assert {key: tab_count(response, key) for key in expected} == expected
    # History ("Đã trả") is counted only when its tab is open.
    assert 'data-tab="returned"' not in response.content.decode()
    returned = client_for(web.desk).get("/desk/?tab=returned")
    assert tab_count(returned, "returned") == 1 and codes(returned) == ["S10"]
    assert codes(client_for(web.desk).get("/desk/?tab=overdue")) == ["S4-LATE"]
    assert codes(client_for(web.desk).get("/desk/?tab=result")) == ["S9"]


def test_queue_is_ordered_by_due_date(web):
    now = timezone.now()
    for code, days in [("LATER", 5), ("SOONEST", 1), ("MIDDLE", 3)]:
        make(web, code, status=Status.PROCESSING, due_at=now + datetime.timedelta(days=days))
    response = client_for(web.desk).get("/desk/?tab=processing")
    assert codes(response) == ["SOONEST", "MIDDLE", "LATER"]


def test_overdue_and_due_today_are_highlighted_with_text(web, clock):
    now = clock.set(2025, 3, 4, 9, 0)  # Tuesday morning
    make(web, "LATE", status=Status.PROCESSING, due_at=now - datetime.timedelta(days=1))
    make(web, "TODAY", status=Status.PROCESSING, due_at=now + datetime.timedelta(hours=6))
    make(web, "FINE", status=Status.PROCESSING, due_at=now + datetime.timedelta(days=3))
    html = client_for(web.desk).get("/desk/?tab=processing").content.decode()
    pattern = r'<tr class="queue-row([^"]*)" data-code="([^"]+)"'
    rows = {code: classes for classes, code in re.findall(pattern, html)}
    assert "row-overdue" in rows["LATE"]
    assert "row-today" in rows["TODAY"]
    assert rows["FINE"].strip() == ""
    late_row = html[html.index('data-code="LATE"') : html.index('data-code="TODAY"')]
    assert "Quá hạn" in late_row
    today_row = html[html.index('data-code="TODAY"') : html.index('data-code="FINE"')]
    assert "Đến hạn hôm nay" in today_row
    assert (now + datetime.timedelta(hours=6)).astimezone().strftime("%d/%m/%Y %H:%M") in html


def test_search_by_phone_code_and_name(web):
    make(
        web,
        "FIND-ME",
        status=Status.PROCESSING,
        applicant_phone="0987654321",
        applicant_name="Lê Thị Hoa",
    )
    make(web, "OTHER", status=Status.PROCESSING, applicant_phone="0911111111")
    client = client_for(web.desk)
    assert codes(client.get("/desk/?tab=processing&q=0987654321")) == ["FIND-ME"]
    assert codes(client.get("/desk/?tab=processing&q=FIND-ME")) == ["FIND-ME"]
    assert codes(client.get("/desk/?tab=processing&q=Thị Hoa")) == ["FIND-ME"]
    response = client.get("/desk/?tab=processing&q=0987654321")
    assert tab_count(response, "processing") == 1


def test_filters_by_assignee_procedure_and_dates(web):
    specialist = web.specialist
    make(web, "ASSIGNED", status=Status.PROCESSING, assignee=specialist)
    make(web, "FREE", status=Status.PROCESSING)
    other = Catalog(agency=web.agency)
    make(other, "OTHER-PROC", status=Status.PROCESSING)
    client = client_for(web.desk)
    page = client.get("/desk/?tab=processing").content.decode()
    assert f'<option value="{specialist.username}"' in page
    assert codes(client.get(f"/desk/?tab=processing&assignee={specialist.username}")) == [
        "ASSIGNED"
    ]
    assert codes(client.get(f"/desk/?tab=processing&procedure={other.code}")) == ["OTHER-PROC"]
    sector = Sector.objects.create(code="HT", name="Hộ tịch")
    other.version.sectors.add(sector)
    assert codes(client.get("/desk/?tab=processing&sector=HT")) == ["OTHER-PROC"]
    today = timezone.localdate().isoformat()
    assert len(codes(client.get(f"/desk/?tab=processing&submitted_from={today}"))) == 3
    assert codes(client.get("/desk/?tab=processing&submitted_to=2000-01-01")) == []


@pytest.mark.parametrize(
    "query",
    ["tab=nonsense", "q=a%00b", "submitted_from=yesterday", "assignee=nobody-here", "sector=x"],
)
def test_bad_parameters_answer_400_not_500(web, query):
    make(web, "ANY", status=Status.PROCESSING)
    response = client_for(web.desk).get(f"/desk/?{query}")
    assert response.status_code == 400
    assert codes(response) == []


def test_queue_query_count_is_fixed_at_page_1_and_page_50(web):
    client = client_for(web.desk)
    staff_user(web.agency, Role.SPECIALIST)
    bulk_dossiers(web, 10, assignee=web.specialist)
    counts = {}
    for page in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/desk/?tab=processing&page={page}").status_code == 200
        counts[("small", page)] = len(queries)
    bulk_dossiers(web, 990, assignee=web.specialist)
    for page in (1, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/desk/?tab=processing&page={page}")
        assert response.status_code == 200
        counts[("large", page)] = len(queries)
    assert "Trang 50 / 50" in response.content.decode()
    assert len(codes(response)) == 20
    assert len(set(counts.values())) == 1, counts
    assert counts[("large", 50)] <= 8
