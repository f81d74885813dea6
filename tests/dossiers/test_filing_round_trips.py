"""Round trips a filing saves (dossiers/filing.py): its dossier id comes from a block of ids
reserved per process (one round trip per block, never an id twice, none shared with a forked
child), and the generations it checks its copies against are read in one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers import filing
from dossiers.models import Dossier
from tests.dossiers.conftest import file_online
from tests.redis_stats import redis_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_block(monkeypatch, settings):
    if connection.vendor != "postgresql":
        pytest.skip("ids are reserved from PostgreSQL's sequence")
    settings.DOSSIER_ID_BLOCK = 3
    block = filing._IdBlock()
    monkeypatch.setattr(filing, "_ID_BLOCK", block)
    return block


def _reservations(queries) -> int:
    return sum("generate_series" in q["sql"] for q in queries.captured_queries)


def test_one_round_trip_per_block_of_filings(catalog, fresh_block):
    with CaptureQueriesContext(connection) as queries:
        dossiers = [file_online(catalog) for _ in range(4)]
    assert _reservations(queries) == 2  # 3 from the first block, 1 from the second
    ids = [d.pk for d in dossiers]
    assert len(set(ids)) == 4
    assert set(Dossier.objects.values_list("pk", flat=True)) >= set(ids)


def test_two_processes_never_get_the_same_id(fresh_block):
    other = filing._IdBlock()
    mine = [fresh_block.take() for _ in range(5)]
    theirs = [other.take() for _ in range(5)]
    assert len(set(mine) | set(theirs)) == 10


def test_a_forked_child_reserves_its_own_ids(fresh_block, monkeypatch):
    parent = fresh_block.take()
    left_over = set(fresh_block.ids)
    monkeypatch.setattr(filing.os, "getpid", lambda: fresh_block.pid + 1)
    child = fresh_block.take()
    assert child not in left_over and child != parent


def test_a_filing_reads_the_catalog_and_calendar_generations_in_one_round_trip(catalog):
    file_online(catalog)  # warm: the published version and the calendar copies
    gets = redis_calls("get")
    file_online(catalog)
    assert redis_calls("get") == gets
