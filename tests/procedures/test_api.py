"""The catalog API: same filters as the page, full records, due dates, sectors, bad input."""

import datetime as dt

import pytest

from portal.models import CalendarDay, CalendarDayKind, UnitLevel
from procedures import services
from tests.factories import AgencyFactory
from tests.procedures.factories import SectorFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    civil = SectorFactory(code="HT", name="Hộ tịch")
    land = SectorFactory(code="DD", name="Đất đai")
    tnmt = AgencyFactory(code="H36.01", name="Sở Tài nguyên và Môi trường")
    birth = VersionFactory(
        procedure__code="1.001193",
        name="Đăng ký khai sinh",
        sectors=[civil],
        full=True,
        documents=[("to-khai", "Tờ khai"), ("chung-sinh", "Giấy chứng sinh")],
    )
    VersionFactory(procedure__code="2.000815", name="Chứng thực bản sao", sectors=[civil])
    VersionFactory(
        procedure__code="LD.DD.10",
        name="Đăng ký biến động đất đai",
        sectors=[land],
        gov_level=UnitLevel.PROVINCE,
        implementing_agency=tnmt,
        online=True,
    )
    VersionFactory(name="Bản nháp", draft=True, sectors=[civil])
    return birth


def codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(item["code"] for item in response.json()["results"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["1.001193", "2.000815", "LD.DD.10"]),
        ({"q": "dang ky"}, ["1.001193", "LD.DD.10"]),
        ({"q": "ĐĂNG KÝ KHAI SINH"}, ["1.001193"]),
        ({"q": "1.001193"}, ["1.001193"]),
        ({"sector": "DD"}, ["LD.DD.10"]),
        ({"agency": "H36.01"}, ["LD.DD.10"]),
        ({"gov_level": "commune"}, ["1.001193", "2.000815"]),
        ({"service_level": "4"}, ["1.001193"]),
        ({"online": "true"}, ["1.001193", "LD.DD.10"]),
        ({"online": "false"}, ["2.000815"]),
        ({"sector": "NOPE"}, []),
        ({"agency": "NOPE"}, []),
    ],
)
def test_list_filters(api_client, catalog, params, expected):
    assert codes(api_client.get("/api/v1/procedures/", params)) == expected


def test_list_item_shape(api_client, catalog):
    item = api_client.get("/api/v1/procedures/", {"q": "khai sinh"}).json()["results"][0]
    assert item["code"] == "1.001193"
    assert item["service_level"] == 4
    assert item["online_scope"] == "Dịch vụ công trực tuyến toàn trình"
    assert item["sectors"] == [{"code": "HT", "name": "Hộ tịch"}]
    assert item["accepts_online_filing"] is True
    assert item["url"].endswith("/api/v1/procedures/1.001193/")


def test_detail_lists_documents_and_channels(api_client, catalog):
    body = api_client.get("/api/v1/procedures/1.001193/").json()
    assert [d["code"] for d in body["documents"]] == ["to-khai", "chung-sinh"]
    assert body["documents"][0] == {
        "code": "to-khai",
        "name": "Tờ khai",
        "required": True,
        "case": "",
        "originals": 1,
        "certified_copies": 0,
        "photocopies": 0,
        "accepted_types": "application/pdf,image/jpeg,image/png",
        "form_url": None,
    }
    assert body["channels"][0] == {
        "kind": "direct",
        "processing_time": 5.0,
        "time_unit": "working_days",
        "fee_vnd": 50000,
        "fee_description": "",
    }
    assert {c["kind"] for c in body["channels"]} == {"direct", "online"}


def test_detail_of_unknown_draft_or_withdrawn_is_a_json_404(api_client, catalog):
    assert api_client.get("/api/v1/procedures/NOPE/").json() == {
        "detail": "Không tìm thấy thủ tục."
    }
    services.withdraw(catalog.procedure)
    assert api_client.get("/api/v1/procedures/1.001193/").status_code == 404


def test_due_date_uses_the_online_channel_and_the_working_calendar(api_client, catalog):
    for day in range(27, 32):  # Tết Ất Tỵ: Monday 27 to Friday 31 January 2025
        CalendarDay.objects.create(date=dt.date(2025, 1, day), kind=CalendarDayKind.HOLIDAY)
    response = api_client.get(
        "/api/v1/procedures/1.001193/due-date/", {"start": "2025-01-24T10:00:00+07:00"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["channel"] == "online"
    due = dt.datetime.fromisoformat(body["due_at"])
    # 5 working days from Friday 24 Jan 2025 skip the Tết holidays (27 Jan – 31 Jan).
    assert due.date() == dt.date(2025, 2, 7)


def test_due_date_falls_back_to_the_direct_channel(api_client, catalog):
    body = api_client.get(
        "/api/v1/procedures/2.000815/due-date/", {"start": "2025-03-03T08:00:00+07:00"}
    ).json()
    assert body["channel"] == "direct"
    assert dt.datetime.fromisoformat(body["due_at"]).date() == dt.date(2025, 3, 10)


def test_due_date_defaults_to_now(api_client, catalog):
    assert "due_at" in api_client.get("/api/v1/procedures/1.001193/due-date/").json()


@pytest.mark.parametrize("start", ["yesterday", "2025-13-45T00:00", "\x00", "9" * 300])
def test_bad_start_is_a_400(api_client, catalog, start):
    response = api_client.get("/api/v1/procedures/1.001193/due-date/", {"start": start})
    assert response.status_code == 400
    assert "start" in response.json()


@pytest.mark.parametrize(
    "params",
    [
        {"service_level": "7"},
        {"service_level": "abc"},
        {"gov_level": "planet"},
        {"q": "\x00"},
        {"sector": "a\x00"},
        {"q": "x" * 201},
    ],
)
def test_bad_filters_are_a_400_with_field_errors(api_client, catalog, params):
    response = api_client.get("/api/v1/procedures/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_bad_page_is_a_json_404(api_client, catalog):
    response = api_client.get("/api/v1/procedures/", {"page": "999"})
    assert response.status_code == 404
    assert "detail" in response.json()


def test_sectors_with_published_counts(api_client, catalog):
    body = api_client.get("/api/v1/sectors/").json()
    assert {s["code"]: s["procedure_count"] for s in body["results"]} == {"HT": 2, "DD": 1}


def test_api_answers_are_cached_until_the_catalog_changes(
    api_client, catalog, django_assert_num_queries, django_capture_on_commit_callbacks
):
    assert codes(api_client.get("/api/v1/procedures/", {"service_level": "4"})) == ["1.001193"]
    with django_assert_num_queries(0):
        assert codes(api_client.get("/api/v1/procedures/", {"service_level": "4"})) == ["1.001193"]
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(catalog.procedure)
    assert codes(api_client.get("/api/v1/procedures/", {"service_level": "4"})) == []
