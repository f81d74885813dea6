"""GET /api/v1/track/?code=&phone=: public steps only; wrong phone = unknown code."""

import pytest

from dossiers.workflow import transition
from tests.dossiers.conftest import file_online

pytestmark = pytest.mark.django_db
URL = "/api/v1/track/"


def test_public_status_and_steps(api_client, catalog):
    dossier = file_online(catalog, applicant_phone="0912345678")
    transition(dossier.code, "receive", catalog.desk, note="Ghi chú nội bộ")
    transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)

    response = api_client.get(URL, {"code": dossier.code, "phone": "+84 912 345 678"})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == dossier.code
    assert body["status"] == 4 and body["status_label"] == "Đang xử lý"
    assert body["procedure"] == catalog.code
    assert body["due_at"] and body["received_at"] and body["returned_at"] is None
    assert [step["status"] for step in body["steps"]] == [1, 2, 4]
    assert body["steps"][1]["agency"] == catalog.agency.name
    text = response.content.decode()
    assert "Ghi chú nội bộ" not in text
    assert catalog.specialist.username not in text
    assert catalog.specialist.get_full_name() not in text
    assert catalog.desk.get_full_name() not in text


def test_wrong_phone_is_exactly_like_unknown_code(api_client, catalog):
    dossier = file_online(catalog, applicant_phone="0912345678")
    wrong = api_client.get(URL, {"code": dossier.code, "phone": "0999999999"})
    unknown = api_client.get(URL, {"code": "H00-000000-0000", "phone": "0912345678"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json() == unknown.json()


@pytest.mark.parametrize("params", [{}, {"code": "x"}, {"code": "a\x00", "phone": "1"}])
def test_bad_queries_are_400(api_client, params):
    assert api_client.get(URL, params).status_code == 400


@pytest.fixture
def one_window(monkeypatch):
    """Lookups count in fixed windows: keep a test's lookups inside one."""
    from types import SimpleNamespace

    from dossiers import tracking

    monkeypatch.setattr(tracking, "time", SimpleNamespace(time=lambda: 1_800_000_010.0))


def test_rate_limited_per_ip(api_client, catalog, settings, one_window):
    settings.TRACK_PAGE_RATE = "3/min"
    statuses = [
        api_client.get(URL, {"code": "X", "phone": "0912345678"}).status_code for _ in range(5)
    ]
    assert statuses[:3] == [404, 404, 404]
    assert statuses[3:] == [429, 429]


def test_repeated_lookups_come_from_the_cache_and_a_change_shows_at_once(
    api_client, catalog, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    dossier = file_online(catalog, applicant_phone="0912345678")
    query = {"code": dossier.code, "phone": "0912345678"}
    assert api_client.get(URL, query).json()["status"] == 1
    with django_assert_num_queries(0):
        again = api_client.get(URL, query)
    assert again.json()["status"] == 1
    assert api_client.get(URL, {**query, "phone": "0999999999"}).status_code == 404
    # The cached entry keeps a keyed hash of the phone number, not the number.
    from dossiers.tracking import _cache_key

    assert "0912345678" not in repr(cache.get(_cache_key(dossier.code)))
    with django_capture_on_commit_callbacks(execute=True):
        transition(dossier.code, "receive", catalog.desk)
    body = api_client.get(URL, query).json()
    assert body["status"] == 2
    assert [step["status"] for step in body["steps"]] == [1, 2]


def test_forwarded_for_does_not_escape_the_limit(api_client, catalog, settings, one_window):
    settings.TRACK_PAGE_RATE = "2/min"
    statuses = [
        api_client.get(
            URL, {"code": "X", "phone": "0912345678"}, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}"
        ).status_code
        for n in range(4)
    ]
    assert statuses == [404, 404, 429, 429]


def test_the_payload_is_what_the_documented_serializer_gives(catalog):
    from dossiers.api.serializers import TrackSerializer
    from dossiers.api.views import track_payload
    from dossiers.tracking import track

    dossier = file_online(catalog, applicant_phone="0912345678")
    transition(dossier.code, "receive", catalog.desk)
    result = track(dossier.code, "0912345678")
    assert track_payload(result) == TrackSerializer(result).data
