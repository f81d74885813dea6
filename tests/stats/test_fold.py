"""Events counted in batches (``statistics/fold.py``): with a worker and Redis the listener only
queues the event id; a fold counts what is queued, exactly once, and the tables then equal a
direct count over the dossiers and a rebuild — as when each event was counted at once."""

import pytest
from django.db.models import Sum

from dossiers.models import DossierEvent, Status
from dossiers.models_stats import DailyStats, StepDailyStats
from dossiers.statistics import fold
from dossiers.statistics.aggregation import apply_events
from dossiers.statistics.rebuild import rebuild
from tests.stats.test_consistency import direct_counts, random_history, step_counts, table_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued():
    """The listener as in a worker (tasks not eager): events go to the Redis list. The fold's
    schedule flag is already set, so none is scheduled: the test folds when it chooses."""
    from portal.celery import app

    app.conf.task_always_eager = False  # restored by the autouse fixture in tests/conftest.py
    client = fold._redis()
    client.delete(fold.pending_key())
    client.set(fold.scheduled_key(), 1)
    yield client
    client.delete(fold.pending_key(), fold.scheduled_key())


def test_queued_events_are_counted_by_the_fold_exactly_once(clock, run_on_commit, queued):
    world, actions = random_history(4, clock, run_on_commit, dossiers=8, moves=50)
    assert actions["receive"] >= 2 and actions["return"] >= 1, actions
    # Online submissions count nothing and are not queued (aggregation.counts_nothing).
    events = list(
        DossierEvent.objects.exclude(from_status__isnull=True, to_status=Status.SUBMITTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Nothing counted yet but the ratings (they are not queued); every other event waits.
    assert not DailyStats.objects.aggregate(n=Sum("received"))["n"]
    assert not StepDailyStats.objects.exists()
    assert fold.pending() == len(events)

    queued.rpush(fold.pending_key(), *events[:5])  # a batch pushed back twice
    assert fold.fold(batch=7) == len(events)  # several batches, each id counted once
    assert fold.pending() == 0
    assert not queued.exists(fold.scheduled_key())  # the next event schedules a new fold

    expected = direct_counts()
    assert expected and table_counts() == expected
    folded_steps = step_counts()
    assert sum(n for n, _, _ in folded_steps.values()) > 3

    assert apply_events(events) == 0  # already counted: a late repeat changes nothing
    assert table_counts() == expected and step_counts() == folded_steps
    rebuild()
    assert table_counts() == expected and step_counts() == folded_steps


def test_events_are_counted_at_once_without_a_worker(clock, run_on_commit):
    """Embedded mode and eager tasks: nothing waits in Redis."""
    random_history(5, clock, run_on_commit, dossiers=3, moves=10)
    assert fold.batched() is False and fold.pending() == 0
    assert table_counts() == direct_counts()
