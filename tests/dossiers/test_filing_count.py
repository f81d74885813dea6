"""A filing bumps its procedure's ``filing_count`` (the catalog's "most used" order) with a HOT
update: no index covers the column, so the busiest procedure's row does not add an entry to
every index of the table per filing (procedures migration 0005)."""

import pytest
from django.db import connection

from procedures.models import Procedure
from tests.dossiers.conftest import file_online

pytestmark = pytest.mark.django_db


def _hot_updates_in_this_transaction() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_tuples_hot_updated(%s::regclass)",
            [Procedure._meta.db_table],
        )
        return cursor.fetchone()[0]


def test_no_index_covers_the_filing_count():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, Procedure._meta.db_table)
    indexes = [name for name, c in constraints.items() if c["index"] or c["unique"]]
    assert not [name for name in indexes if "filing_count" in constraints[name]["columns"]]


def test_a_filing_bumps_the_count_in_place(catalog):
    if connection.vendor != "postgresql":
        pytest.skip("HOT updates are PostgreSQL's")
    before = _hot_updates_in_this_transaction()
    file_online(catalog)
    assert _hot_updates_in_this_transaction() == before + 1
    assert Procedure.objects.get(pk=catalog.procedure.pk).filing_count == 1
