"""The statistics read only the pre-aggregated tables: the same number of queries at two data
sizes (and a small number), for the page, an export, the API and the staff reports."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from procedures.models import ServiceLevel
from tests.dossiers.factories import Catalog
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URLS = [
    ("/stats/", {}),
    ("/stats/", {"year": "2025", "quarter": "1", "gov_level": "commune"}),
    ("/stats/", {"format": "xlsx"}),
    ("/api/v1/stats/summary/", {}),
    ("/api/v1/stats/summary/", {"from": "2025-01-15", "to": "2025-03-10"}),
    ("/desk/reports/", {}),
]
MAX_QUERIES = 24


def counts(client, dossiers: int) -> list[int]:
    call_command("seed_scale", dossiers=dossiers, batch=500, stdout=StringIO())
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    result = []
    for url, query in URLS:
        cache.clear()
        with CaptureQueriesContext(connection) as context:
            response = client.get(url, query)
        assert response.status_code == 200, (url, response.content[:300])
        result.append(len(context.captured_queries))
    client.logout()
    for url, query in URLS[:5]:  # anonymous: public pages and API
        cache.clear()
        with CaptureQueriesContext(connection) as context:
            assert client.get(url, query).status_code == 200
        result.append(len(context.captured_queries))
    return result


def test_query_counts_do_not_grow_with_the_data(client, django_assert_max_num_queries):
    Catalog()
    Catalog(service_level=ServiceLevel.FULL)
    small = counts(client, 40)
    large = counts(client, 1200)  # 31× the dossiers, on top of the first ones
    assert small == large
    assert max(large) <= MAX_QUERIES, large
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get("/stats/")
