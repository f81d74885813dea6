"""The desk queues /desk/: staff only, the agency's scope, tabs with counts, ordering by due
date, deadline highlighting, filters and search, and a fixed query count at any page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossiers.models import Status
from dossiers.workflow import transition
from portal.models import Role, StaffMembership
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
    """Fixed on a cold cache (tab counts computed, page rendered) and on a warm one (the page
    served from the cache), at 10 and 1,000 rows."""
    client = client_for(web.desk)
    staff_user(web.agency, Role.SPECIALIST)
    bulk_dossiers(web, 10, assignee=web.specialist)
    counts = {}

    def measure(size: str) -> None:
        for page in (1, 50):
            for state in ("cold", "warm"):
                if state == "cold":
                    cache.clear()
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(f"/desk/?tab=processing&page={page}")
                assert response.status_code == 200
                counts[(size, page, state)] = len(queries)
        return response

    measure("small")
    bulk_dossiers(web, 990, assignee=web.specialist)
    response = measure("large")
    assert "Trang 50 / 50" in response.content.decode()
    assert len(codes(response)) == 20
    cold = {n for key, n in counts.items() if key[2] == "cold"}
    warm = {n for key, n in counts.items() if key[2] == "warm"}
    assert len(cold) == 1 and len(warm) == 1, counts
    # Warm: the rendered queue is served from the cache (dossiers/list_cache.py) and the grants
    # from the shared cache (portal/permissions.py): the user only; no count, ids or rows.
    assert max(cold) <= 8 and max(warm) <= 1, counts


def ordered_codes(client, tab: str, pages: int) -> list[str]:
    found = []
    for page in range(1, pages + 1):
        found += codes(client.get(f"/desk/?tab={tab}&page={page}"))
    return found


def test_pages_follow_the_queue_order_across_agency_columns(web):
    """Rows the agency receives, holds or returns are merged in one order, each once, and the
    pages split that order without gaps or repeats (the per-column branches of queues.py)."""
    now = timezone.now()
    other = Catalog()
    expected = []
    for number in range(45):
        due = now + datetime.timedelta(hours=number)
        code = f"Q-{number:02d}"
        kind = number % 3
        fields = {"status": Status.PROCESSING, "due_at": due}
        if kind == 1:  # received here, processed elsewhere
            fields["current_agency"] = other.agency
        elif kind == 2:  # received elsewhere, processed here, returned here
            dossier = make(other, code, **fields)
            type(dossier).objects.filter(pk=dossier.pk).update(
                current_agency=web.agency, returning_agency=web.agency
            )
            expected.append(code)
            continue
        make(web, code, **fields)
        expected.append(code)
    # Same due date: the id decides.
    make(web, "Q-TIE-A", status=Status.PROCESSING, due_at=now + datetime.timedelta(hours=10))
    make(other, "NOT-MINE", status=Status.PROCESSING, due_at=now)
    expected.insert(expected.index("Q-10") + 1, "Q-TIE-A")
    client = client_for(web.desk)
    assert ordered_codes(client, "processing", 3) == expected
    assert tab_count(client.get("/desk/?tab=processing"), "processing") == 46


def test_a_member_of_two_agencies_sees_both_in_one_order(web):
    now = timezone.now()
    other = Catalog()
    make(web, "A-2", status=Status.RECEIVED, due_at=now + datetime.timedelta(days=2))
    make(other, "B-1", status=Status.RECEIVED, due_at=now + datetime.timedelta(days=1))
    make(other, "B-3", status=Status.RECEIVED, due_at=now + datetime.timedelta(days=3))
    make(web, "A-LATE", status=Status.RECEIVED, due_at=now - datetime.timedelta(days=1))
    user = web.desk
    StaffMembership.objects.create(user=user, agency=other.agency, role=Role.DESK)
    client = client_for(user)
    assert codes(client.get("/desk/?tab=received")) == ["A-LATE", "B-1", "A-2", "B-3"]
    assert codes(client.get("/desk/?tab=overdue")) == ["A-LATE"]


def test_returned_tab_is_newest_first(web):
    now = timezone.now()
    for code, days in [("OLD", 9), ("NEW", 1), ("MID", 4)]:
        make(web, code, status=Status.RETURNED, returned_at=now - datetime.timedelta(days=days))
    assert codes(client_for(web.desk).get("/desk/?tab=returned")) == ["NEW", "MID", "OLD"]


def test_tab_counts_are_cached_and_dropped_by_a_transition(web, django_capture_on_commit_callbacks):
    make(web, "WAITING", status=Status.SUBMITTED, received=False)
    client = client_for(web.desk)
    assert tab_count(client.get("/desk/"), "new") == 1
    # A row written behind the services' back is not seen until the cache expires...
    bulk_dossiers(web, 3, status=Status.SUBMITTED, received_at=None)
    assert tab_count(client.get("/desk/"), "new") == 1
    # ...but any transition of one of the agency's dossiers drops the counts at once.
    with django_capture_on_commit_callbacks(execute=True):
        transition("WAITING", "receive", web.desk)
    response = client.get("/desk/")
    assert tab_count(response, "new") == 3
    assert tab_count(response, "received") == 1
    # Filtered views are counted live.
    bulk_dossiers(web, 2, status=Status.SUBMITTED, received_at=None)
    assert tab_count(client.get(f"/desk/?procedure={web.code}"), "new") == 5
