import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from portal.models import UnitLevel
from tests.factories import AgencyFactory, CitizenFactory, UnitFactory

pytestmark = pytest.mark.django_db


def test_token_exchange_and_use(api_client):
    CitizenFactory(username="citizen9")
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "citizen9", "password": "demo12345"}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get("/api/v1/units/").status_code == 200


def test_wrong_credentials_give_a_json_400(api_client):
    response = api_client.post("/api/v1/auth/token/", {"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "detail" in response.json()


def test_expired_token_is_refused(api_client, settings):
    user = CitizenFactory()
    token = Token.objects.create(user=user)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - timezone.timedelta(days=2))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.get("/api/v1/units/")
    assert response.status_code == 401
    assert not Token.objects.filter(pk=token.pk).exists()


def test_units_filter_by_level_and_parent(api_client):
    province = UnitFactory(code="68", province=True)
    district = UnitFactory(code="672", name="Thành phố Đà Lạt", district=True, parent=province)
    UnitFactory(code="24820", name="Phường 1", parent=district)
    body = api_client.get("/api/v1/units/", {"level": "commune", "parent": "672"}).json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "code": "24820",
        "name": "Phường 1",
        "level": UnitLevel.COMMUNE,
        "parent": "672",
        "valid_from": None,
        "valid_to": None,
    }


def test_agencies_filter_by_level_kind_and_parent(api_client, django_assert_max_num_queries):
    province = UnitFactory(code="68", province=True)
    parent = AgencyFactory(code="H36", unit=province, kind="peoples_committee")
    for i in range(30):
        AgencyFactory(code=f"H36.{i:02d}", unit=province, kind="department", parent=parent)
    AgencyFactory(code="H36.672", unit=UnitFactory(district=True, parent=province))
    with django_assert_max_num_queries(3):
        body = api_client.get(
            "/api/v1/agencies/", {"level": "province", "kind": "department", "parent": "H36"}
        ).json()
    assert body["count"] == 30
    assert len(body["results"]) == 20
    assert body["next"]
    assert {r["level"] for r in body["results"]} == {"province"}


def test_unknown_filter_value_is_a_400_not_a_500(api_client):
    response = api_client.get("/api/v1/agencies/", {"level": "galaxy"})
    assert response.status_code == 400


def test_agency_detail_by_dotted_code(api_client):
    AgencyFactory(code="H36.30", name="Trung tâm PVHCC")
    response = api_client.get("/api/v1/agencies/H36.30/")
    assert response.status_code == 200
    assert response.json()["name"] == "Trung tâm PVHCC"


def test_openapi_schema_and_local_docs(client):
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/").content.decode()
    assert "cdn" not in docs.lower()
    assert "/static/drf_spectacular_sidecar/" in docs
