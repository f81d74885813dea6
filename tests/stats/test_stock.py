"""Stock figures: "in process" from the flows equals a count of the dossiers at any month end;
"overdue" is taken live by the hourly task with the rule of ``DossierQuerySet.overdue``; the
task also repairs yesterday's month once a day."""

import datetime

import pytest
from django.db.models import Sum

from dossiers.models import Dossier, Status
from dossiers.models_stats import DailyStats, StockSnapshot, StockSnapshotDay
from dossiers.statistics import queries, stock
from dossiers.statistics.aggregation import day_start
from dossiers.statistics.params import StatsQuery, month_period
from dossiers.statistics.rebuild import rebuild
from dossiers.statistics.tasks import refresh_stock
from tests.stats.test_consistency import direct_counts, random_history, table_counts

pytestmark = pytest.mark.django_db


def test_in_process_from_flows_equals_a_count_at_each_month_end(clock, run_on_commit):
    random_history(4, clock, run_on_commit, moves=90)
    clock.set(2025, 6, 2, 9, 0)
    rebuild()
    for month in (1, 2, 3, 4):
        report = queries.build_report(StatsQuery(period=month_period(2025, month)))
        end = day_start(month_period(2025, month).end + datetime.timedelta(days=1))
        counted = Dossier.objects.filter(received_at__lt=end).exclude(closed_at__lt=end).count()
        assert report.total.in_process == counted
        snapshot = StockSnapshot.objects.filter(day=month_period(2025, month).end)
        assert (snapshot.aggregate(n=Sum("in_process"))["n"] or 0) == counted


def test_the_live_snapshot_counts_overdue_like_the_queues(clock, run_on_commit):
    random_history(6, clock, run_on_commit, moves=50)
    clock.advance(days=20)
    day = stock.take_live()
    received = Dossier.objects.exclude(status__in=[Status.SUBMITTED])
    expected = received.overdue(clock.now).count()
    assert StockSnapshot.objects.filter(day=day).aggregate(n=Sum("overdue"))["n"] == expected
    in_process = Dossier.objects.filter(status__in=stock.IN_PROCESS_STATUSES).count()
    assert StockSnapshot.objects.filter(day=day).aggregate(n=Sum("in_process"))["n"] == in_process
    assert expected > 0


def test_the_hourly_task_snapshots_and_heals_once_a_day(clock, run_on_commit):
    random_history(8, clock, run_on_commit, moves=40)
    clock.set(2025, 2, 3, 10, 0)
    expected = direct_counts()
    DailyStats.objects.all().update(received=0)  # an increment lost to a crash, say
    first = refresh_stock()
    assert first["healed"] == "2025-02-02"
    # Yesterday's month (February) repaired; January is the next month-end rebuild's job.
    february = {k: v for k, v in expected.items() if k[0].month == 2}
    assert february
    assert {k: v for k, v in table_counts().items() if k[0].month == 2} == february
    assert StockSnapshotDay.objects.filter(day=datetime.date(2025, 2, 3)).exists()
    again = refresh_stock()
    assert again["healed"] is None
