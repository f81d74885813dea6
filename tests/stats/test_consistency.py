"""The aggregates always equal a direct count over the dossiers: after random transitions at
random times (receive, refuse, assign, supplement, payment, suspend/resume, complete, return,
withdraw, ratings), the incrementally maintained tables, a direct count computed here from the
dossiers with the core's own rules, and a rebuild all agree."""

import datetime
import random
from collections import Counter, defaultdict

import pytest
from django.db.models import Sum
from django.utils import timezone

from dossiers import deadlines
from dossiers.errors import DossierError
from dossiers.models import AttachmentKind, Dossier, Rating, Status
from dossiers.models_stats import (
    COUNTERS,
    DailyStats,
    MonthlyStats,
    ProcedureMonthlyStats,
    StepDailyStats,
)
from dossiers.statistics import steps
from dossiers.statistics.aggregation import day_start
from dossiers.statistics.rebuild import rebuild
from dossiers.workflow import transition
from tests.dossiers.factories import pdf
from tests.stats.factories import file, make_world, step

pytestmark = pytest.mark.django_db


def direct_counts() -> dict[tuple, dict[str, int]]:
    """Counters per (local day, receiving agency, gov level, service level), from scratch."""
    result: dict[tuple, Counter] = defaultdict(Counter)
    for d in Dossier.objects.select_related("procedure_version").prefetch_related("attachments"):
        version = d.procedure_version

        def at(moment, d=d, version=version):
            day = timezone.localdate(moment)
            return result[(day, d.receiving_agency_id, version.gov_level, version.service_level)]

        if d.received_at:
            at(d.received_at).update({"received": 1, f"received_{d.channel}": 1})
        if d.status == Status.REFUSED:
            at(d.closed_at)["refused"] += 1
        if d.status == Status.WITHDRAWN:
            at(d.closed_at).update(
                {"withdrawn": 1, "withdrawn_received": int(d.received_at is not None)}
            )
        if d.completed_at:
            at(d.completed_at)["completed"] += 1
        if d.status == Status.RETURNED:
            row = at(d.returned_at)
            row["resolved"] += 1
            kind = deadlines.timeliness(d)
            if kind:
                row[f"resolved_{kind}"] += 1
            row["resolved_electronic"] += any(
                a.kind == AttachmentKind.RESULT for a in d.attachments.all()
            )
            row["resolved_with_fee"] += bool(d.fee_vnd or d.payment_due_vnd)
            row["resolved_paid_online"] += d.paid_online
            elapsed = (d.completed_at or d.returned_at) - d.received_at
            row["processing_us"] += elapsed // datetime.timedelta(microseconds=1)
    for rating in Rating.objects.select_related("dossier__procedure_version"):
        d = rating.dossier
        key = (timezone.localdate(rating.created_at), d.receiving_agency_id,
               d.procedure_version.gov_level, d.procedure_version.service_level)  # fmt: skip
        result[key][f"rating_{rating.score}"] += 1
    return {key: {k: v for k, v in counts.items() if v} for key, counts in result.items()}


def table_counts(model=DailyStats, when="day") -> dict[tuple, dict[str, int]]:
    result = {}
    for row in model.objects.values(when, "agency_id", "gov_level", "service_level", *COUNTERS):
        counts = {c: row[c] for c in COUNTERS if row[c]}
        if counts:
            key = (row[when], row["agency_id"], row["gov_level"], row["service_level"])
            assert key not in result
            result[key] = counts
    return result


def monthly_from(daily: dict[tuple, dict[str, int]]) -> dict[tuple, dict[str, int]]:
    months: dict[tuple, Counter] = defaultdict(Counter)
    for (day, *rest), counts in daily.items():
        months[(day.replace(day=1), *rest)].update(counts)
    return {key: dict(counts) for key, counts in months.items()}


def step_counts() -> dict[tuple, tuple[int, int, int]]:
    return {
        (r.day, r.agency_id, r.person_id): (r.steps, r.late, r.late_us)
        for r in StepDailyStats.objects.all()
    }


def _done(dossier) -> bool:
    dossier.refresh_from_db(fields=["status"])
    return dossier.status in (Status.REFUSED, Status.WITHDRAWN) or (
        dossier.status == Status.RETURNED and Rating.objects.filter(dossier=dossier).exists()
    )


def random_history(seed: int, clock, run_on_commit, *, dossiers: int = 14, moves: int = 110):
    rng = random.Random(seed)
    world = make_world()
    clock.set(2025, 1, 20, 8, 0)  # flows over January, February and March
    filed = []
    for index in range(dossiers):
        catalog = world.catalogs[index % 2]
        channel = rng.choice(["online", "online", "direct"] + (["postal"] if index % 2 else []))
        with run_on_commit():
            filed.append((file(catalog, channel), catalog))
        clock.advance(hours=rng.choice([1, 3, 7, 20]))
    actions = Counter()
    for _ in range(moves):
        live = [(d, c) for d, c in filed if not _done(d)]
        if not live:
            break
        dossier, catalog = rng.choice(live)
        try:
            with run_on_commit():
                action = step(dossier, catalog, rng)
        except DossierError:
            action = "refused-by-service"
        actions[action] += 1
        clock.advance(hours=rng.choice([0.5, 2, 5, 26, 70]))
    return world, actions


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_aggregates_equal_a_direct_count_after_random_transitions(seed, clock, run_on_commit):
    world, actions = random_history(seed, clock, run_on_commit)
    # The walk really exercised the lifecycle.
    assert actions["return"] >= 3 and actions["receive"] >= 3 and actions["rate"] >= 2, actions
    expected = direct_counts()
    assert expected, "no flow at all"

    incremental = table_counts()
    assert incremental == expected
    assert table_counts(MonthlyStats, "month") == monthly_from(expected)
    per_procedure = ProcedureMonthlyStats.objects.aggregate(
        **{c: Sum(c) for c in ("received", "resolved", "processing_us", "rating_5")}
    )
    monthly = MonthlyStats.objects.aggregate(
        **{c: Sum(c) for c in ("received", "resolved", "processing_us", "rating_5")}
    )
    assert per_procedure == monthly
    incremental_steps = step_counts()

    rebuild()
    assert table_counts() == expected
    assert table_counts(MonthlyStats, "month") == monthly_from(expected)
    assert step_counts() == incremental_steps


def test_steps_from_sql_and_python_agree(clock, run_on_commit):
    random_history(7, clock, run_on_commit, moves=80)
    start, end = day_start(datetime.date(2025, 1, 1)), day_start(datetime.date(2025, 6, 1))
    python = {(d, a, p): (n, late, us) for d, a, p, n, late, us in steps.rows_python(start, end)}
    assert python == step_counts()
    assert sum(n for n, _, _ in python.values()) > 5


def test_late_steps_are_attributed_to_the_holder(clock, run_on_commit):
    world = make_world()
    catalog = world.commune
    with run_on_commit():
        dossier = file(catalog, "direct")  # received now; appointment in 3 working days
    clock.advance(hours=1)
    with run_on_commit():
        transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    clock.advance(days=10)  # far past the appointment
    with run_on_commit():
        transition(
            dossier.code, "complete", catalog.leader, result_summary="Xong", result_file=pdf()
        )
    rows = {(r.agency_id, r.person_id): (r.steps, r.late) for r in StepDailyStats.objects.all()}
    # Intake step (desk, on time) and the specialist's step (late), both at the commune.
    assert rows[(catalog.agency.pk, catalog.desk.pk)] == (1, 0)
    assert rows[(catalog.agency.pk, catalog.specialist.pk)] == (1, 1)


def test_a_repeated_delivery_is_counted_once(clock, run_on_commit):
    from dossiers.statistics.aggregation import apply_event

    world = make_world()
    with run_on_commit():
        dossier = file(world.commune, "direct")
    event = dossier.events.get()
    assert apply_event(event.pk) is False  # already counted by the listener
    assert DailyStats.objects.get().received == 1
