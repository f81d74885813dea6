"""The catalog page and API list make a fixed number of queries, whatever the catalog size."""

import pytest
from django.core.cache import cache

from tests.factories import AgencyFactory
from tests.procedures.factories import SectorFactory, bulk_catalog

pytestmark = pytest.mark.django_db

PAGE_BUDGET = 8
API_BUDGET = 4
DETAIL_BUDGET = 9


@pytest.mark.parametrize("size", [100, 5000])
def test_catalog_page_queries_do_not_grow(client, size, django_assert_max_num_queries):
    bulk_catalog(size, agency=AgencyFactory(), sector=SectorFactory())
    for params in (
        {},
        {"q": "hang loat", "service_level": "3"},
        {"page": "3", "gov_level": "district"},
    ):
        cache.clear()
        with django_assert_max_num_queries(PAGE_BUDGET):
            response = client.get("/procedures/", params)
        assert response.status_code == 200
        assert b"Th\xe1\xbb\xa7 t\xe1\xbb\xa5c h\xc3\xa0ng lo\xe1\xba\xa1t" in response.content


@pytest.mark.parametrize("size", [100, 5000])
def test_api_list_queries_do_not_grow(api_client, size, django_assert_max_num_queries):
    bulk_catalog(size, agency=AgencyFactory(), sector=SectorFactory())
    for params in ({}, {"service_level": "4"}, {"q": "hang loat", "page": "2"}):
        cache.clear()
        with django_assert_max_num_queries(API_BUDGET):
            response = api_client.get("/api/v1/procedures/", params)
        assert response.status_code == 200
        assert len(response.json()["results"]) == 20


@pytest.mark.parametrize("size", [100, 5000])
def test_detail_and_home_queries_do_not_grow(
    client, api_client, size, django_assert_max_num_queries
):
    bulk_catalog(size, agency=AgencyFactory(), sector=SectorFactory())
    cache.clear()
    with django_assert_max_num_queries(DETAIL_BUDGET):
        assert client.get("/procedures/B.000042/").status_code == 200
    with django_assert_max_num_queries(DETAIL_BUDGET):
        assert api_client.get("/api/v1/procedures/B.000042/").status_code == 200
    from django.test import RequestFactory

    from procedures.home import catalog_section

    with django_assert_max_num_queries(2):
        section = catalog_section(RequestFactory().get("/"))
    assert len(section.context["popular"]) == 8
