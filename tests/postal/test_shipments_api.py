"""``GET/POST /api/v1/postal/shipments/``: only the shipments of dossiers the caller may see;
the desk asks for a shipment with an address checked against the unit list; bad input refused
with a reason and nothing changed."""

import pytest

from dossiers.errors import ValidationError
from dossiers.filing import file_dossier
from dossiers.models import FilingChannel
from postal.models import Shipment
from tests.dossiers.factories import applicant_data, pdf
from tests.factories import CitizenFactory, staff_user
from tests.postal.conftest import file_postal
from tests.postal.factories import POSTAL_DATA, PostalCatalog, ShipmentFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/postal/shipments/"


@pytest.fixture
def filed(catalog, commit):
    return file_postal(catalog, commit)


def test_the_owner_sees_the_shipment_with_its_history(api_client, catalog, filed):
    api_client.force_authenticate(catalog.citizen)
    response = api_client.get(URL, {"dossier": filed.code})
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["dossier"] == filed.code and row["direction"] == "pickup"
    assert row["status"] == "created" and row["waybill"].startswith("SB")
    assert row["sender_address"] == ("5 Lê Hồng Phong, Phường 1, Thành phố Đà Lạt, Tỉnh Lâm Đồng")
    assert [e["status"] for e in row["events"]] == ["created"]


def test_the_desk_of_the_agency_sees_it_others_do_not(api_client, catalog, filed):
    api_client.force_authenticate(catalog.desk)
    assert api_client.get(URL).json()["count"] == 1
    other_desk = staff_user(PostalCatalog(catalog.units).agency)
    api_client.force_authenticate(other_desk)
    assert api_client.get(URL).json()["count"] == 0
    assert api_client.get(URL, {"dossier": filed.code}).json()["count"] == 0
    api_client.force_authenticate(CitizenFactory())
    assert api_client.get(URL, {"dossier": filed.code}).json()["count"] == 0


def test_anonymous_callers_are_refused(api_client, filed):
    response = api_client.get(URL, {"dossier": filed.code})
    assert response.status_code in (401, 403)
    assert "detail" in response.json()


@pytest.mark.parametrize("value", ["H36\x00", "x" * 65])
def test_bad_query_values_are_400(api_client, catalog, value):
    api_client.force_authenticate(catalog.citizen)
    response = api_client.get(URL, {"dossier": value})
    assert response.status_code == 400
    assert "dossier" in response.json()


def test_unknown_dossier_gives_an_empty_list(api_client, catalog, filed):
    api_client.force_authenticate(catalog.citizen)
    assert api_client.get(URL, {"dossier": "NO-SUCH"}).json()["count"] == 0


def test_list_queries_do_not_grow_with_data(api_client, django_assert_max_num_queries, units):
    admin_user = CitizenFactory(is_superuser=True)
    api_client.force_authenticate(admin_user)

    def make(n):
        for _ in range(n):
            shipment = ShipmentFactory(sender_commune=units.phuong4)
            for status in ("accepted", "picked_up"):
                shipment.events.create(
                    event_id=f"{shipment.pk}-{status}", status=status,
                    occurred_at=shipment.created_at, source="webhook",
                )  # fmt: skip

    make(3)
    with django_assert_max_num_queries(6):
        assert api_client.get(URL).json()["count"] == 3
    make(17)
    with django_assert_max_num_queries(6):
        assert len(api_client.get(URL).json()["results"]) == 20


# --- the desk asks for a shipment -----------------------------------------------------------


def walk_in(catalog, **data):
    return file_dossier(
        procedure_code=catalog.code,
        applicant_user=None,
        data=applicant_data(**data),
        files={"to-khai": [pdf()]},
        channel=FilingChannel.DIRECT,
        actor=catalog.desk,
    )


def test_the_desk_books_a_pickup_with_an_official_commune_code(api_client, catalog, units):
    dossier = walk_in(catalog, applicant_address="Thôn 2, xã nào đó")
    api_client.force_authenticate(catalog.desk)
    response = api_client.post(
        URL,
        {"dossier": dossier.code, "direction": "pickup", "commune": units.baoloc1.code,
         "street": "Thôn 2", "collect_fees": False},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_creation" and body["waybill"] is None
    shipment = Shipment.objects.get(pk=body["id"])
    assert shipment.sender_commune == units.baoloc1 and shipment.tariff_zone == "province"
    assert shipment.fees_vnd == 0


def test_an_address_outside_the_unit_list_is_refused(api_client, catalog):
    dossier = walk_in(catalog)
    api_client.force_authenticate(catalog.desk)
    response = api_client.post(
        URL, {"dossier": dossier.code, "direction": "pickup", "commune": "99999"}, format="json"
    )
    assert response.status_code == 400
    assert "danh mục đơn vị hành chính" in response.json()["commune"][0]
    assert not Shipment.objects.exists()


def test_a_second_live_shipment_of_the_same_direction_is_409(api_client, catalog, filed):
    api_client.force_authenticate(catalog.desk)
    response = api_client.post(URL, {"dossier": filed.code, "direction": "pickup"}, format="json")
    assert response.status_code == 409
    assert Shipment.objects.count() == 1


def test_delivery_before_the_result_is_ready_is_409(api_client, catalog, filed):
    api_client.force_authenticate(catalog.desk)
    response = api_client.post(URL, {"dossier": filed.code, "direction": "delivery"}, format="json")
    assert response.status_code == 409
    assert "trạng thái" in response.json()["detail"]


def test_only_the_desk_may_book(api_client, catalog, filed):
    api_client.force_authenticate(catalog.citizen)  # sees the dossier, may not act
    response = api_client.post(URL, {"dossier": filed.code, "direction": "pickup"}, format="json")
    assert response.status_code == 403
    api_client.force_authenticate(CitizenFactory())  # does not even see it
    response = api_client.post(URL, {"dossier": filed.code, "direction": "pickup"}, format="json")
    assert response.status_code == 404


def test_bad_request_fields_are_400(api_client, catalog, filed):
    api_client.force_authenticate(catalog.desk)
    response = api_client.post(URL, {"dossier": filed.code, "direction": "drone"}, format="json")
    assert response.status_code == 400 and "direction" in response.json()


# --- a postal choice for a procedure that is not postal-eligible ----------------------------


def test_filing_refuses_a_postal_choice_for_a_non_postal_procedure(units):
    catalog = PostalCatalog(units, postal_eligible=False)
    for choice, field in (
        ({"pickup_by_post": True}, "pickup_by_post"),
        ({"result_delivery": "post", "delivery_address": POSTAL_DATA["delivery_address"]},
         "result_delivery"),
    ):  # fmt: skip
        with pytest.raises(ValidationError) as error:
            file_dossier(
                procedure_code=catalog.code,
                applicant_user=catalog.citizen,
                data=applicant_data(**choice),
                files={"to-khai": [pdf()]},
                channel=FilingChannel.ONLINE,
                actor=catalog.citizen,
            )
        assert "bưu chính" in error.value.message_dict[field][0]
    assert not Shipment.objects.exists()


def test_postal_refuses_a_shipment_for_a_non_postal_procedure(api_client, units):
    catalog = PostalCatalog(units, postal_eligible=False)
    dossier = walk_in(catalog)
    api_client.force_authenticate(catalog.desk)
    response = api_client.post(URL, {"dossier": dossier.code, "direction": "pickup"}, format="json")
    assert response.status_code == 400
    assert response.json()["direction"] == [
        "Thủ tục này không tiếp nhận, trả kết quả qua bưu chính."
    ]
    assert not Shipment.objects.exists()
