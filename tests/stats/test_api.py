"""``GET /api/v1/stats/summary/``: the same figures as the page, filterable by period, level and
agency, validated (400 with field errors, never 500), documented in the OpenAPI schema."""

import pytest
import yaml

from dossiers.statistics.api import SummarySerializer
from dossiers.workflow import transition
from tests.stats.factories import file, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(clock, run_on_commit):
    world = make_world()
    with run_on_commit():
        for catalog in world.catalogs:
            dossier = file(catalog, "online")
            transition(dossier.code, "receive", catalog.desk)
        file(world.district, "postal")
    return world


def test_summary_has_every_documented_field(api_client, world):
    response = api_client.get("/api/v1/stats/summary/", {"year": 2025})
    assert response.status_code == 200
    data = response.json()
    assert set(data) == set(SummarySerializer().fields)
    assert data["period"]["kind"] == "year" and data["period"]["start"] == "2025-01-01"
    assert data["totals"]["received"] == 3
    assert data["totals"]["received_postal"] == 1
    assert data["totals"]["in_process"] == 3
    by_agency = {row["agency"]: row["received"] for row in data["by_agency"]}
    assert by_agency == {world.commune.agency.code: 1, world.district.agency.code: 2}
    assert data["catalog"]["total"] == 2 and data["catalog"]["level4"] == 1
    assert [s["score"] for s in data["satisfaction"]["scores"]] == [5, 4, 3, 2, 1]
    assert data["satisfaction"]["scores"][0]["label"] == "Rất hài lòng"
    row_fields = set(SummarySerializer().fields["by_agency"].child.fields)
    assert set(data["by_agency"][0]) == row_fields


@pytest.mark.parametrize(
    ("query", "count"),
    [({"year": 2025, "quarter": 1}, 3), ({"year": 2025, "month": 2}, 0), ({"year": 2024}, 0),
     ({"from": "2025-01-06", "to": "2025-01-06"}, 3), ({"gov_level": "district"}, 2),
     ({"service_level": 3}, 1)],
)  # fmt: skip
def test_filters(api_client, world, query, count):
    response = api_client.get("/api/v1/stats/summary/", query)
    assert response.status_code == 200, response.json()
    assert response.json()["totals"]["received"] == count


def test_agency_filter(api_client, world):
    code = world.district.agency.code
    data = api_client.get("/api/v1/stats/summary/", {"agency": code}).json()
    assert data["totals"]["received"] == 2
    assert data["filters"]["agency"] == code


@pytest.mark.parametrize(
    ("query", "field"),
    [({"year": "x"}, "year"), ({"year": "2025", "quarter": "5"}, "quarter"),
     ({"year": "2025", "quarter": "1", "month": "1"}, "month"),
     ({"gov_level": "moon"}, "gov_level"),
     ({"agency": "NOPE"}, "agency"), ({"from": "2025-1-1"}, "from"), ({"year": "2025\x00"}, "year"),
     ({"to": "2025-01-01", "from": "2025-02-01"}, "to"),
     ({"year": "2025", "from": "2025-01-01"}, "from"),
     ({"agency": "A" * 300}, "agency")],
)  # fmt: skip
def test_bad_parameters_are_400_with_field_errors(api_client, world, query, field):
    response = api_client.get("/api/v1/stats/summary/", query)
    assert response.status_code == 400
    assert field in response.json()


def test_documented_in_the_openapi_schema(api_client):
    response = api_client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    operation = schema["paths"]["/api/v1/stats/summary/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {
        "year",
        "quarter",
        "month",
        "from",
        "to",
        "gov_level",
        "service_level",
        "agency",
    }
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/Summary")


def test_answers_are_cached_per_url(api_client, world, run_on_commit):
    first = api_client.get("/api/v1/stats/summary/", {"year": 2025}).json()
    with run_on_commit():
        file(world.commune, "direct")
    assert api_client.get("/api/v1/stats/summary/", {"year": 2025}).json() == first
    fresh = api_client.get("/api/v1/stats/summary/", {"year": 2025, "gov_level": "commune"})
    assert fresh.json()["totals"]["received"] == 2
