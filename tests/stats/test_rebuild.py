"""``rebuild_stats``: the same figures as the increments, whole months, idempotent, by SQL on
PostgreSQL and through the ORM elsewhere (both compared here), safe against an increment that
arrives after the rebuild counted its event."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from dossiers.models_stats import COUNTERS, DailyStats, MonthlyStats, StockSnapshotDay
from dossiers.statistics import rebuild as rebuild_module
from dossiers.statistics import stock
from dossiers.statistics.rebuild import compute_flows, rebuild
from dossiers.workflow import transition
from tests.stats.factories import file, make_world
from tests.stats.test_consistency import direct_counts, random_history, table_counts

pytestmark = pytest.mark.django_db


def test_the_orm_path_gives_the_sql_rows(clock, run_on_commit):
    random_history(11, clock, run_on_commit, moves=70)
    rebuild()
    daily, procedures = compute_flows(None, None)
    orm = {key: {c: v for c, v in counts.items() if v} for key, counts in daily.items()}
    assert {k: v for k, v in orm.items() if v} == table_counts()
    procedure_total = sum(c["resolved"] for c in procedures.values())
    assert procedure_total == sum(r.resolved for r in MonthlyStats.objects.all())


def test_rebuild_is_idempotent_and_a_range_touches_only_its_months(clock, run_on_commit):
    random_history(5, clock, run_on_commit, moves=60)
    expected = direct_counts()
    rebuild()
    rebuild()
    assert table_counts() == expected
    # Damage January and March; rebuilding February alone leaves them as they are.
    DailyStats.objects.filter(day__month__in=[1, 3]).update(received=999)
    rebuild(datetime.date(2025, 2, 10), datetime.date(2025, 2, 11))
    damaged = table_counts()
    for key, counts in expected.items():
        if key[0].month == 2:
            assert damaged.get(key) == counts
    assert any(c.get("received") == 999 for k, c in damaged.items() if k[0].month == 1)
    # The command repairs everything.
    out = StringIO()
    call_command("rebuild_stats", stdout=out)
    assert "toàn bộ" in out.getvalue()
    assert table_counts() == expected


def test_the_command_takes_a_range_and_refuses_nonsense(clock, run_on_commit):
    world = make_world()
    with run_on_commit():
        file(world.commune, "direct")
    DailyStats.objects.all().delete()
    out = StringIO()
    call_command("rebuild_stats", "--from", "2025-01-01", "--to", "2025-01-31", stdout=out)
    assert "01/01/2025–31/01/2025" in out.getvalue()
    assert DailyStats.objects.get().received == 1
    with pytest.raises(CommandError):
        call_command("rebuild_stats", "--from", "2025-13-01")
    with pytest.raises(CommandError):
        call_command("rebuild_stats", "--from", "2025-02-01", "--to", "2025-01-01")


def test_an_increment_arriving_after_the_rebuild_counted_it_changes_nothing(
    clock, django_capture_on_commit_callbacks
):
    world = make_world()
    with django_capture_on_commit_callbacks(execute=False) as pending:
        dossier = file(world.commune, "direct")
        transition(dossier.code, "assign", world.commune.desk,
                   assignee=world.commune.specialist.username)  # fmt: skip
    rebuild()  # counts the dossier, claims its recent events
    for callback in pending:
        callback()  # the listeners run late: already counted, skipped
    assert table_counts() == direct_counts()
    assert DailyStats.objects.get().received == 1


def test_snapshots_are_taken_at_month_ends_and_today(clock, run_on_commit):
    random_history(3, clock, run_on_commit, moves=60)
    clock.set(2025, 5, 15, 10, 0)
    rebuild()
    days = set(StockSnapshotDay.objects.values_list("day", flat=True))
    assert {
        datetime.date(2025, 1, 31),
        datetime.date(2025, 4, 30),
        datetime.date(2025, 5, 15),
    } <= days
    # The PostgreSQL pass and the generic one agree on every month end.
    month_ends = sorted(d for d in days if d < datetime.date(2025, 5, 15))
    fast = stock._historical_postgresql(month_ends)
    for day in month_ends:

        def key(row):
            return (row["k_agency"], row["k_gov"], row["k_service"])

        generic = {key(r): (r["in_process"], r["overdue"]) for r in stock.historical_rows(day)
                   if r["in_process"] or r["overdue"]}  # fmt: skip
        assert {key(r): (r["in_process"], r["overdue"]) for r in fast[day]} == generic


def test_counters_cover_every_column():
    fields = {f.name for f in DailyStats._meta.get_fields()}
    assert set(COUNTERS) <= fields
    facts = set()
    for fact in rebuild_module.FACTS:
        facts |= set(fact.counters())
    assert facts == set(COUNTERS)
