"""``/stats/``: the catalog by level, dossier results by period, agency and level, charts with
their tables, filters, exports; strict-CSP markup; cached for anonymous visitors."""

import pytest
from django.core.cache import cache

from dossiers.statistics import cache as stats_cache
from dossiers.statistics.rebuild import rebuild
from dossiers.workflow import transition
from tests.dossiers.factories import pdf
from tests.stats.factories import file, make_world
from tests.stats.pages import column, tables

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(clock, run_on_commit):
    """January 2025: 3 received at the commune (2 online, 1 direct), 1 returned early, 1
    withdrawn; one online dossier at the district returned late in February."""
    world = make_world()
    c, d = world.commune, world.district
    with run_on_commit():
        a = file(c, "online")
        b = file(c, "online")
        e = file(c, "direct")
        late = file(d, "online")
        for dossier, catalog in ((a, c), (b, c), (late, d)):
            transition(dossier.code, "receive", catalog.desk)
        transition(a.code, "assign", c.desk, assignee=c.specialist.username)
        transition(late.code, "assign", d.desk, assignee=d.specialist.username)
    clock.advance(hours=3)
    with run_on_commit():
        transition(a.code, "complete", c.leader, result_summary="Đã cấp", result_file=pdf())
        transition(a.code, "return", c.desk, method="desk")
        transition(e.code, "withdraw", c.citizen, reason="Không cần nữa")
    clock.set(2025, 2, 20, 9, 0)
    with run_on_commit():
        transition(late.code, "complete", d.leader, result_summary="Đã cấp", result_file=pdf())
        transition(late.code, "return", d.desk, method="desk")
    return world


def test_the_year_page_shows_results_by_month_agency_and_level(client, history):
    response = client.get("/stats/", {"year": 2025})
    assert response.status_code == 200
    page = tables(response.content.decode())
    summary = page["summary"]
    assert column(summary, "Tiếp nhận trực tuyến") == {"Năm 2025": "3"}
    assert column(summary, "Tiếp nhận trực tiếp") == {"Năm 2025": "1"}
    assert column(summary, "Đã giải quyết") == {"Năm 2025": "2"}
    assert column(summary, "Trước hạn") == {"Năm 2025": "1"}
    assert column(summary, "Trễ hạn") == {"Năm 2025": "1"}
    # received 4, resolved 2, one withdrawn after intake: one still in process.
    assert column(summary, "Đang giải quyết") == {"Năm 2025": "1"}
    months = column(page["months"], "Đã giải quyết")
    assert months["Tháng 1/2025"] == "1" and months["Tháng 2/2025"] == "1"
    carried = column(page["months"], "Kỳ trước chuyển sang")
    assert carried["Tháng 2/2025"] == "2"  # b and the district dossier crossed the month
    agencies = column(page["agencies"], "Đã giải quyết")
    assert agencies[history.commune.agency.name] == "1"
    assert agencies[history.district.agency.name] == "1"
    levels = column(page["gov_levels"], "Tổng số hồ sơ")
    assert levels == {"Huyện/Quận/Thị xã/TP thuộc tỉnh": "1", "Xã/Phường/Thị trấn": "3",
                      "Tổng cộng": "4"}  # fmt: skip


def test_filters_narrow_the_period_level_and_agency(client, history):
    page = tables(client.get("/stats/", {"year": 2025, "month": 2}).content.decode())
    summary = page["summary"]
    assert column(summary, "Kỳ trước chuyển sang") == {"Tháng 2/2025": "2"}
    assert column(summary, "Đã giải quyết") == {"Tháng 2/2025": "1"}
    page = tables(client.get("/stats/", {"year": 2025, "gov_level": "commune"}).content.decode())
    assert column(page["summary"], "Tổng số hồ sơ") == {"Năm 2025": "3"}
    page = tables(client.get("/stats/", {"year": 2025, "agency": history.district.agency.code})
                  .content.decode())  # fmt: skip
    assert column(page["summary"], "Trễ hạn") == {"Năm 2025": "1"}
    assert list(column(page["agencies"], "Tổng số hồ sơ")) == [
        history.district.agency.name,
        "Tổng cộng",
    ]
    page = tables(
        client.get("/stats/", {"from": "2025-01-06", "to": "2025-01-06"}).content.decode()
    )
    assert column(page["summary"], "Tiếp nhận trực tuyến")["Từ 06/01/2025 đến 06/01/2025"] == "3"


def test_charts_are_inline_svg_with_a_table_and_no_inline_script_or_style(client, history):
    html = client.get("/stats/", {"year": 2025}).content.decode()
    assert html.count('role="img"') >= 4
    assert html.count("<figure") >= 8 and html.count("<figcaption") == html.count("<figure")
    assert "<script" not in html and "style=" not in html
    assert '<th scope="col"' in html and '<th scope="row"' in html
    assert "css/stats.css" in html


def test_catalog_figures_come_from_published_versions(client, history):
    page = tables(client.get("/stats/").content.decode())
    totals = column(page["catalog"], "Số thủ tục")
    assert totals == {"Xã/Phường/Thị trấn": "1", "Huyện/Quận/Thị xã/TP thuộc tỉnh": "1",
                      "Tổng cộng": "2"}  # fmt: skip
    assert column(page["catalog"], "Mức độ 4 (toàn trình)")["Tổng cộng"] == "1"


def test_the_default_period_is_the_latest_year_with_data(client, history):
    html = client.get("/stats/").content.decode()
    assert "Năm 2025" in html


@pytest.mark.parametrize(
    "query",
    [{"year": "abc"}, {"year": "1800"}, {"year": "2025", "quarter": "1", "month": "2"},
     {"gov_level": "galaxy"}, {"agency": "NOPE"}, {"year": "20\x0025"}, {"service_level": "9"},
     {"from": "2025-02-01", "to": "2025-01-01"}, {"format": "pdf"},
     {"format": "csv", "table": "nothing"}],
)  # fmt: skip
def test_bad_parameters_answer_400_not_500(client, history, query):
    response = client.get("/stats/", query)
    assert response.status_code == 400
    assert "Không xem được số liệu" in response.content.decode()


def test_anonymous_pages_are_cached_until_a_rebuild(client, history, clock, run_on_commit):
    def direct() -> str:
        page = tables(client.get("/stats/", {"year": 2025}).content.decode())
        return column(page["summary"], "Tiếp nhận trực tiếp")["Năm 2025"]

    assert direct() == "1"
    with run_on_commit():
        file(history.commune, "direct")
    assert direct() == "1"  # served from the cache (STATS_CACHE_SECONDS)
    with run_on_commit():
        rebuild()  # a bulk change bumps the generation on commit
    assert direct() == "2"


def test_the_cached_page_carries_each_visitor_its_own_csrf_token(client, history):
    first = client.get("/stats/").content.decode()
    second = client.get("/stats/").content.decode()
    assert stats_cache.CSRF_PLACEHOLDER not in first + second
    assert 'name="csrfmiddlewaretoken"' in second


def test_signed_in_visitors_are_not_served_the_cache(client, history, clock, run_on_commit):
    client.get("/stats/", {"year": 2025})
    client.force_login(history.commune.citizen)
    with run_on_commit():
        file(history.commune, "direct")
    page = tables(client.get("/stats/", {"year": 2025}).content.decode())
    assert column(page["summary"], "Tiếp nhận trực tiếp") == {"Năm 2025": "2"}
    assert cache.get(stats_cache.GENERATION_KEY) is not None


def test_the_home_page_shows_the_headline(client, history):
    html = client.get("/").content.decode()
    assert "Kết quả giải quyết thủ tục hành chính năm 2025" in html
    assert 'href="/stats/?year=2025"' in html


def test_the_last_december_snapshot_gives_the_overdue_of_a_past_year(client, clock, run_on_commit):
    world = make_world()
    clock.set(2024, 12, 2, 8, 0)
    with run_on_commit():
        file(world.commune, "direct")  # never resolved: overdue by the end of the year
    clock.set(2025, 3, 1, 8, 0)
    rebuild()
    page = tables(client.get("/stats/", {"year": 2024}).content.decode())
    assert column(page["summary"], "Quá hạn") == {"Năm 2024": "1"}
    assert column(page["summary"], "Đang giải quyết") == {"Năm 2024": "1"}
    assert "tính đến hết ngày 31/12/2024" in client.get("/stats/", {"year": 2024}).content.decode()


def test_the_page_lists_the_busiest_agencies_and_links_to_all(client, history, monkeypatch):
    from dossiers.statistics import views

    monkeypatch.setattr(views, "AGENCY_ROWS", 1)
    html = client.get("/stats/", {"year": 2025}).content.decode()
    shown = column(tables(html)["agencies"], "Tổng số hồ sơ")
    assert list(shown) == [history.commune.agency.name, "Tổng cộng"]  # 3 dossiers vs 1
    assert shown["Tổng cộng"] == "4"  # the total still counts every agency
    assert "Còn 1 cơ quan nữa." in html
    assert "?year=2025&amp;agencies=all#bang-agencies" in html
    everything = tables(client.get("/stats/", {"year": 2025, "agencies": "all"}).content.decode())
    assert len(column(everything["agencies"], "Tổng số hồ sơ")) == 3
    exported = client.get("/stats/", {"year": 2025, "format": "csv", "table": "agencies"})
    assert history.district.agency.name in exported.content.decode("utf-8-sig")
