"""GET /api/v1/dossiers/ and /<code>/ and /<code>/history/: scope, filters, query counts."""

import pytest

from dossiers.models import Dossier, Status
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import Catalog, DossierFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/dossiers/"


def get(client, user, url=URL, **params):
    client.force_authenticate(user)
    return client.get(url, params)


def test_citizen_lists_only_own_dossiers(api_client, catalog):
    mine = file_online(catalog)
    file_online(Catalog())
    body = get(api_client, catalog.citizen).json()
    assert body["count"] == 1
    assert [row["code"] for row in body["results"]] == [mine.code]
    assert set(body) == {"count", "next", "previous", "results"}


def test_other_citizens_dossier_is_404(api_client, catalog):
    mine = file_online(catalog)
    stranger = Catalog().citizen
    assert get(api_client, stranger, f"{URL}{mine.code}/").status_code == 404
    assert get(api_client, stranger, f"{URL}{mine.code}/history/").status_code == 404
    assert get(api_client, catalog.citizen, f"{URL}{mine.code}/").status_code == 200


def test_anonymous_gets_401(api_client, catalog):
    file_online(catalog)
    assert api_client.get(URL).status_code in (401, 403)


def test_detail_shows_files_and_actions(api_client, catalog):
    dossier = file_online(catalog)
    body = get(api_client, catalog.desk, f"{URL}{dossier.code}/").json()
    assert body["actions"] == ["receive", "refuse", "withdraw"]
    attachment = body["attachments"][0]
    assert attachment["sha256"] and attachment["url"].endswith(f"/attachments/{attachment['id']}/")
    download = get(api_client, catalog.desk, attachment["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert get(api_client, Catalog().desk, attachment["url"]).status_code == 404


def test_history_is_the_audit_trail(api_client, catalog):
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk, note="Đủ")
    body = get(api_client, catalog.citizen, f"{URL}{dossier.code}/history/").json()
    assert [row["action"] for row in body] == ["submit", "receive"]
    assert body[1]["from_status"] == 1 and body[1]["to_status"] == 2
    assert body[1]["note"] == "Đủ"
    assert body[1]["to_agency"] == catalog.agency.code


class TestFilters:
    def test_status_procedure_agency_overdue(self, api_client, catalog):
        submitted = file_online(catalog)
        received = file_online(catalog)
        transition(received.code, "receive", catalog.desk)
        late = DossierFactory(
            processing=True, overdue=True, procedure_version=catalog.version, applicant=None
        )

        def codes(**params):
            response = get(api_client, catalog.desk, **params)
            assert response.status_code == 200, response.json()
            return {row["code"] for row in response.json()["results"]}

        assert codes(status=1) == {submitted.code}
        assert codes(status=[2, 4]) == {received.code, late.code}
        assert codes(procedure=catalog.code) == {submitted.code, received.code, late.code}
        assert codes(procedure="other") == set()
        assert codes(agency=catalog.agency.code) == {submitted.code, received.code, late.code}
        assert codes(overdue="true") == {late.code}
        assert late.code not in codes(overdue="false")
        assert codes(q=submitted.code) == {submitted.code}

    @pytest.mark.parametrize(
        "params",
        [{"status": "99"}, {"status": "abc"}, {"overdue": "maybe"}, {"ordering": "password"}],
    )
    def test_bad_filter_values_are_400(self, api_client, catalog, params):
        assert get(api_client, catalog.desk, **params).status_code == 400

    def test_nul_bytes_in_query_are_400_or_empty(self, api_client, catalog):
        for params in [{"procedure": "a\x00"}, {"q": "\x00"}, {"agency": "\x00x"}]:
            response = get(api_client, catalog.desk, **params)
            assert response.status_code in (200, 400)
            if response.status_code == 200:
                assert response.json()["count"] == 0


def make_dossiers(catalog: Catalog, count: int) -> None:
    specialist = catalog.specialist
    version = catalog.version
    agency = catalog.agency
    template = DossierFactory.build(
        procedure_version=version, applicant=catalog.citizen, received=True
    )
    rows = []
    for index in range(count):
        row = Dossier(
            **{
                f.attname: getattr(template, f.attname)
                for f in Dossier._meta.concrete_fields
                if f.attname not in {"id", "code"}
            }
        )
        row.code = f"Q-{count}-{index:06d}"
        row.status = Status.PROCESSING
        row.assignee = specialist
        row.receiving_agency = row.current_agency = row.returning_agency = agency
        rows.append(row)
    Dossier.objects.bulk_create(rows, batch_size=500)


@pytest.mark.parametrize("size", [10, 1000])
def test_list_and_detail_query_counts_do_not_grow(
    api_client, catalog, size, django_assert_max_num_queries
):
    make_dossiers(catalog, size)
    desk = UserFactory.create()
    from portal.models import Role
    from tests.factories import MembershipFactory

    MembershipFactory(user=desk, agency=catalog.agency, role=Role.DESK)
    api_client.force_authenticate(desk)
    # session/auth + grants + count + page
    with django_assert_max_num_queries(4):
        response = api_client.get(URL, {"status": 4, "ordering": "due_at"})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(size, 20)
    assert response.json()["count"] == size
    if size == 1000:  # a deep page costs the same number of queries
        with django_assert_max_num_queries(4):
            response = api_client.get(URL, {"status": 4, "ordering": "due_at", "page": 50})
        assert len(response.json()["results"]) == 20
    code = Dossier.objects.order_by("id").first().code
    api_client.force_authenticate(UserFactory.create(is_superuser=True))
    # dossier + attachments + allowed actions use loaded rows only
    with django_assert_max_num_queries(4):
        response = api_client.get(f"{URL}{code}/")
    assert response.status_code == 200
    with django_assert_max_num_queries(3):
        response = api_client.get(f"{URL}{code}/history/")
    assert response.status_code == 200
