"""The rendered desk queue and "my dossiers" are cached (dossiers/list_cache.py): a hit shows
exactly what a miss would, any change of what the list shows is visible at once, nothing leaks
between agencies, grants, citizens or languages, and the highlighting follows the clock."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import mark_safe

from dossiers.models import Dossier, Status
from dossiers.workflow import transition
from portal.models import Role, StaffMembership
from tests.dossiers.conftest import file_online, file_walk_in
from tests.dossiers.factories import Catalog, DossierFactory
from tests.dossiers.web.conftest import bulk_dossiers, client_for, without_csrf
from tests.factories import CitizenFactory, UserFactory, staff_user
from tests.redis_stats import redis_calls

pytestmark = pytest.mark.django_db


def codes(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', response.content.decode())


def mine(response) -> list[str]:
    return re.findall(r'href="/dossiers/([^/"]+)/"', response.content.decode())


def row_classes(response) -> dict[str, str]:
    pattern = r'<tr class="queue-row([^"]*)" data-code="([^"]+)"'
    return {code: classes.strip() for classes, code in re.findall(pattern, response.text)}


def make(catalog: Catalog, code: str, **fields) -> Dossier:
    fields.setdefault("received", True)
    fields.setdefault("applicant", catalog.citizen)
    return DossierFactory(
        code=code,
        procedure_version=catalog.version,
        procedure=catalog.procedure,
        receiving_agency=catalog.agency,
        **fields,
    )


def fragment_keys() -> list[str]:
    return [k for k in cache.keys("*") if ":page:" in k or ":mine:" in k]


# --- the desk queue ----------------------------------------------------------------------------


def test_a_hit_renders_what_a_miss_renders_without_reading_rows(web):
    bulk_dossiers(web, 25, assignee=web.specialist)
    client = client_for(web.desk)
    with CaptureQueriesContext(connection) as cold:
        miss = client.get("/desk/?tab=processing&page=2")
    assert len(fragment_keys()) == 1
    with CaptureQueriesContext(connection) as warm:
        hit = client.get("/desk/?tab=processing&page=2")
    assert miss.status_code == hit.status_code == 200
    assert len(codes(hit)) == 5
    assert without_csrf(hit.content) == without_csrf(miss.content)
    # The user (grants come from the shared cache); no count, no page ids, no rows.
    assert len(warm) == 1 < len(cold), [q["sql"] for q in warm.captured_queries]
    assert not any("dossiers_dossier" in q["sql"] for q in warm.captured_queries)


def test_query_string_order_does_not_matter_and_bad_queries_are_not_cached(web):
    make(web, "ROW-1", status=Status.PROCESSING)
    client = client_for(web.desk)
    client.get("/desk/?tab=processing&page=1")
    with CaptureQueriesContext(connection) as warm:
        client.get("/desk/?page=1&tab=processing")
    assert len(warm) == 1
    assert client.get("/desk/?tab=nope").status_code == 400
    assert client.get("/desk/?tab=nope").status_code == 400
    assert len(fragment_keys()) == 1


def test_a_transition_shows_at_once(web, django_capture_on_commit_callbacks):
    make(web, "WAITING", status=Status.SUBMITTED, received=False)
    client = client_for(web.desk)
    assert codes(client.get("/desk/")) == ["WAITING"]
    assert codes(client.get("/desk/?tab=received")) == []
    with django_capture_on_commit_callbacks(execute=True):
        transition("WAITING", "receive", web.desk)
    assert codes(client.get("/desk/")) == []
    assert codes(client.get("/desk/?tab=received")) == ["WAITING"]


def test_a_filing_shows_at_once(web, django_capture_on_commit_callbacks):
    """The filing event drops the desk's queue and the citizen's list."""
    desk, citizen = client_for(web.desk), client_for(web.citizen)
    assert codes(desk.get("/desk/")) == [] and mine(citizen.get("/dossiers/")) == []
    with django_capture_on_commit_callbacks(execute=True):
        online = file_online(web)
    assert codes(desk.get("/desk/")) == [online.code]
    assert mine(citizen.get("/dossiers/")) == [online.code]
    with django_capture_on_commit_callbacks(execute=True):
        walk_in = file_walk_in(web)
    assert codes(desk.get("/desk/?tab=received")) == [walk_in.code]


@pytest.mark.parametrize("channel", ["online", "walk_in"])
def test_a_filing_drops_its_lists_in_one_write(web, django_capture_on_commit_callbacks, channel):
    """The history row's lists and the dossier save's safety net share one ``MSET``."""
    file = file_online if channel == "online" else file_walk_in
    file(web)  # warm: grants and catalog copies are read and cached
    before = redis_calls("mset")
    with django_capture_on_commit_callbacks(execute=True):
        file(web)
    assert redis_calls("mset") == before + 1


def test_a_later_save_of_a_filed_dossier_still_drops_the_lists(
    web, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = file_online(web, applicant_name="Trần Văn A")
    client = client_for(web.desk)
    assert "Trần Văn A" in client.get("/desk/").text
    dossier.applicant_name = "Lê Thị B"
    with django_capture_on_commit_callbacks(execute=True):
        dossier.save()
    assert "Lê Thị B" in client.get("/desk/").text


def test_a_transition_elsewhere_keeps_the_cache(web, django_capture_on_commit_callbacks):
    other = Catalog()
    with django_capture_on_commit_callbacks(execute=True):  # committed before the page is read
        make(web, "MINE", status=Status.PROCESSING)
        make(other, "THEIRS", status=Status.SUBMITTED, received=False)
    client = client_for(web.desk)
    client.get("/desk/?tab=processing")
    with django_capture_on_commit_callbacks(execute=True):
        transition("THEIRS", "receive", other.desk)
    with CaptureQueriesContext(connection) as warm:
        assert codes(client.get("/desk/?tab=processing")) == ["MINE"]
    assert len(warm) == 1


def test_a_save_outside_the_services_drops_the_lists_on_commit(
    web, django_capture_on_commit_callbacks
):
    dossier = make(web, "EDITED", status=Status.PROCESSING, applicant_name="Trần Văn A")
    client = client_for(web.desk)
    assert "Trần Văn A" in client.get("/desk/?tab=processing").text
    dossier.applicant_name = "Lê Thị B"
    with django_capture_on_commit_callbacks(execute=True):
        dossier.save()
    assert "Lê Thị B" in client.get("/desk/?tab=processing").text


def test_another_agency_never_sees_these_rows(web, outsider):
    make(web, "MINE", status=Status.PROCESSING)
    assert codes(client_for(web.desk).get("/desk/?tab=processing")) == ["MINE"]
    # Same query string, same language, another agency: its own (empty) queue.
    response = client_for(outsider).get("/desk/?tab=processing")
    assert codes(response) == []
    assert "MINE" not in response.text
    # A colleague with the same grants shares the entry (and sees their own name around it).
    colleague = staff_user(web.agency, Role.DESK)
    colleague.full_name = "Đồng Nghiệp Một"
    colleague.save()
    shared = client_for(colleague).get("/desk/?tab=processing")
    assert codes(shared) == ["MINE"]
    assert "Đồng Nghiệp Một" in shared.text
    assert web.desk.get_full_name() not in shared.text


def test_a_revoked_role_loses_the_queue_at_once(web):
    make(web, "ROW", status=Status.PROCESSING)
    client = client_for(web.desk)
    assert codes(client.get("/desk/?tab=processing")) == ["ROW"]
    StaffMembership.objects.filter(user=web.desk).delete()
    response = client.get("/desk/?tab=processing")
    assert response.status_code == 403 and "ROW" not in response.text


def test_superuser_and_desk_get_their_own_lists(web):
    other = Catalog()
    make(web, "MINE", status=Status.PROCESSING)
    make(other, "THEIRS", status=Status.PROCESSING)
    admin = UserFactory(is_superuser=True, is_staff=True)
    desk = client_for(web.desk)
    assert codes(desk.get("/desk/?tab=processing")) == ["MINE"]
    assert sorted(codes(client_for(admin).get("/desk/?tab=processing"))) == ["MINE", "THEIRS"]
    assert codes(desk.get("/desk/?tab=processing")) == ["MINE"]
    # The walk-in button follows the desk role: a specialist of the same agency sees no button.
    specialist = client_for(web.specialist).get("/desk/?tab=processing").text
    assert "/desk/new/" not in specialist
    assert codes(client_for(web.specialist).get("/desk/?tab=processing")) == ["MINE"]


def test_language_has_its_own_entry(web):
    make(web, "ROW", status=Status.PROCESSING)
    client = client_for(web.desk)
    vietnamese = client.get("/desk/?tab=processing").text
    assert "Đang xử lý" in vietnamese
    client.cookies["django_language"] = "en"
    english = client.get("/desk/?tab=processing").text
    assert "Processing" in english and "Đang xử lý" not in english
    assert codes(client.get("/desk/?tab=processing")) == ["ROW"]
    client.cookies["django_language"] = "vi"
    assert "Đang xử lý" in client.get("/desk/?tab=processing").text


def test_an_assignee_renamed_shows_at_once(web, django_capture_on_commit_callbacks):
    make(web, "ROW", status=Status.PROCESSING, assignee=web.specialist)
    client = client_for(web.desk)
    assert web.specialist.get_full_name() in client.get("/desk/?tab=processing").text
    web.specialist.full_name = "Tên Mới Hoàn Toàn"
    with django_capture_on_commit_callbacks(execute=True):
        web.specialist.save()
    assert "Tên Mới Hoàn Toàn" in client.get("/desk/?tab=processing").text


def test_a_login_does_not_drop_the_lists(web, django_capture_on_commit_callbacks):
    make(web, "ROW", status=Status.PROCESSING)
    client = client_for(web.desk)
    client.get("/desk/?tab=processing")
    with django_capture_on_commit_callbacks(execute=True):
        client_for(web.leader)  # force_login writes last_login
    with CaptureQueriesContext(connection) as warm:
        client.get("/desk/?tab=processing")
    assert len(warm) == 1


def test_due_time_turns_a_row_overdue_without_any_change(web, clock):
    now = clock.set(2025, 3, 4, 9, 0)
    make(web, "SOON", status=Status.PROCESSING, due_at=now + datetime.timedelta(seconds=40))
    make(web, "LATER", status=Status.PROCESSING, due_at=now + datetime.timedelta(days=3))
    client = client_for(web.desk)
    assert row_classes(client.get("/desk/?tab=processing"))["SOON"] == "row-today"
    clock.advance(seconds=30)
    with CaptureQueriesContext(connection) as warm:
        still = client.get("/desk/?tab=processing")
    assert len(warm) == 1  # served from the cache
    assert row_classes(still)["SOON"] == "row-today"
    clock.advance(seconds=15)
    late = client.get("/desk/?tab=processing")
    assert row_classes(late)["SOON"] == "row-overdue"
    assert "Quá hạn" in late.text


def test_midnight_turns_tomorrow_into_today(web, clock):
    now = clock.set(2025, 3, 4, 23, 59, 30)
    make(web, "TOMORROW", status=Status.PROCESSING, due_at=now + datetime.timedelta(hours=10))
    client = client_for(web.desk)
    assert row_classes(client.get("/desk/?tab=processing"))["TOMORROW"] == ""
    clock.advance(seconds=20)
    with CaptureQueriesContext(connection) as warm:
        assert row_classes(client.get("/desk/?tab=processing"))["TOMORROW"] == ""
    assert len(warm) == 1  # served from the cache
    clock.advance(seconds=20)  # 00:00:10 local time
    response = client.get("/desk/?tab=processing")
    assert row_classes(response)["TOMORROW"] == "row-today"
    assert "Đến hạn hôm nay" in response.text


def test_entries_are_bounded_by_the_ttl(web, clock):
    now = clock.set(2025, 3, 4, 9, 0)
    make(web, "FAR", status=Status.PROCESSING, due_at=now + datetime.timedelta(days=5))
    client = client_for(web.desk)
    client.get("/desk/?tab=processing")
    # Written behind the services' back: no generation changes, the entry is served...
    Dossier.objects.filter(code="FAR").update(applicant_name="Người Nộp Đổi Tên")
    assert "Người Nộp Đổi Tên" not in client.get("/desk/?tab=processing").text
    # ...until the bound.
    clock.advance(seconds=61)
    assert "Người Nộp Đổi Tên" in client.get("/desk/?tab=processing").text


# --- my dossiers -------------------------------------------------------------------------------


def test_my_dossiers_hit_matches_the_miss_without_reading_dossiers(web):
    bulk_dossiers(web, 30)
    client = client_for(web.citizen)
    miss = client.get("/dossiers/?page=2")
    with CaptureQueriesContext(connection) as warm:
        hit = client.get("/dossiers/?page=2")
    assert len(mine(hit)) == 10
    assert without_csrf(hit.content) == without_csrf(miss.content)
    # The user (grants come from the shared cache); no query for the list.
    assert len(warm) == 1, [q["sql"] for q in warm.captured_queries]
    assert not any("dossiers_dossier" in q["sql"] for q in warm.captured_queries)


def test_a_citizen_never_sees_another_citizens_list(web):
    other = CitizenFactory()
    make(web, "OF-A", status=Status.PROCESSING)
    make(web, "OF-B", status=Status.PROCESSING, applicant=other)
    assert mine(client_for(web.citizen).get("/dossiers/")) == ["OF-A"]
    assert mine(client_for(other).get("/dossiers/")) == ["OF-B"]
    assert mine(client_for(web.citizen).get("/dossiers/")) == ["OF-A"]


def test_a_withdrawal_shows_at_once(web, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = file_online(web)
        transition(dossier.code, "receive", web.desk)
    client = client_for(web.citizen)
    assert "Được tiếp nhận" in client.get("/dossiers/").text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/dossiers/{dossier.code}/withdraw/", {"reason": "Nộp nhầm", "confirm": "on"}
        )
    assert response.status_code == 302
    html = client.get("/dossiers/").text
    assert "Công dân yêu cầu rút hồ sơ" in html and "Được tiếp nhận" not in html


def test_a_supplement_request_shows_at_once(web, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        dossier = file_online(web)
        transition(dossier.code, "receive", web.desk)
        transition(dossier.code, "assign", web.desk, assignee=web.specialist.username)
    client = client_for(web.citizen)
    assert "Yêu cầu bổ sung giấy tờ" not in client.get("/dossiers/").text
    with django_capture_on_commit_callbacks(execute=True):
        transition(
            dossier.code,
            "request-supplement",
            web.specialist,
            reason="Thiếu bản sao",
            documents=["Tờ khai có chữ ký"],
        )
    assert "Yêu cầu bổ sung giấy tờ" in client.get("/dossiers/").text


def test_a_procedure_renamed_shows_at_once(web, django_capture_on_commit_callbacks):
    make(web, "ROW", status=Status.PROCESSING)
    client = client_for(web.citizen)
    assert web.version.name in client.get("/dossiers/").text
    web.version.name = "Thủ tục đã đổi tên"
    with django_capture_on_commit_callbacks(execute=True):
        web.version.save()
    assert "Thủ tục đã đổi tên" in client.get("/dossiers/").text


def test_my_dossiers_highlighting_follows_the_clock(web, clock):
    now = clock.set(2025, 3, 4, 9, 0)
    make(web, "SOON", status=Status.PROCESSING, due_at=now + datetime.timedelta(hours=1))
    client = client_for(web.citizen)
    assert 'class="row-today"' in client.get("/dossiers/").text
    clock.advance(hours=1, seconds=1)
    assert 'class="row-overdue"' in client.get("/dossiers/").text


def test_my_dossiers_language(web):
    make(web, "ROW", status=Status.PROCESSING)
    client = client_for(web.citizen)
    assert "Đang xử lý" in client.get("/dossiers/").text
    client.cookies["django_language"] = "en"
    english = client.get("/dossiers/").text
    assert "Processing" in english and "Đang xử lý" not in english


# --- the page around the list (portal/shell.py) ------------------------------------------------


def _request(rf, user, path: str):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.cache import SessionStore

    request = rf.get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


@pytest.mark.parametrize(
    "name",
    ['Ánh <b>"Dũng"</b> & Co', "__motcua_shell_content_5f0c2e__", "Bình thường"],
)
def test_the_shell_gives_what_a_full_render_gives(web, rf, name):
    from django.shortcuts import render

    from dossiers.queues import TABS_BY_KEY
    from portal.shell import render_in_shell

    tab = TABS_BY_KEY["processing"]
    content = mark_safe(
        '<p class="rows">Nội dung <b>đã render</b> __motcua_shell_user_5f0c2e__</p>'
    )
    # The first call renders and keeps the shell; the second reuses it for another user.
    render_in_shell(
        _request(rf, web.leader, "/desk/?tab=processing"),
        "dossiers/desk/queue.html",
        {"tab": tab},
        content,
        variant="processing",
    )
    web.desk.full_name = name
    path = '/desk/?tab=processing&q=<script>"x"</script>&page=2'
    shell = render_in_shell(
        _request(rf, web.desk, path),
        "dossiers/desk/queue.html",
        {"tab": tab},
        content,
        variant="processing",
    )
    full = render(
        _request(rf, web.desk, path),
        "dossiers/desk/queue.html",
        {"tab": tab, "content": content},
    )
    assert without_csrf(shell.content) == without_csrf(full.content)
    assert shell.content.count(b"__motcua_shell_") == full.content.count(b"__motcua_shell_")
    assert b'name="csrfmiddlewaretoken" value=""' not in shell.content


def test_a_page_with_messages_is_rendered_in_full(web, rf):
    from django.contrib import messages

    from portal.shell import render_in_shell

    request = _request(rf, web.citizen, "/dossiers/")
    render_in_shell(request, "dossiers/mine.html", {}, mark_safe("<p>danh sách</p>"))
    messages.success(request, "Đã rút hồ sơ X.")
    page = render_in_shell(request, "dossiers/mine.html", {}, mark_safe("<p>danh sách</p>"))
    assert "Đã rút hồ sơ X." in page.content.decode()
    assert "<p>danh sách</p>" in page.content.decode()


def test_the_shell_follows_language_and_staff_menu(web):
    make(web, "ROW", status=Status.PROCESSING, applicant=web.desk)
    desk = client_for(web.desk)
    assert 'href="/desk/"' in desk.get("/dossiers/").text
    citizen = client_for(web.citizen)
    assert 'href="/desk/"' not in citizen.get("/dossiers/").text
    citizen.cookies["django_language"] = "en"
    english = citizen.get("/dossiers/").text
    assert 'lang="en"' in english and "My dossiers" in english
