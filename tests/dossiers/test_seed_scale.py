"""seed_scale: synthetic dossiers with consistent states, dates, codes and history."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min
from django.utils import timezone

from dossiers.models import Dossier, DossierEvent, Status
from dossiers.scale import level_split, parse_years
from procedures.models import ServiceLevel
from tests.dossiers.conftest import file_walk_in
from tests.dossiers.factories import Catalog

pytestmark = pytest.mark.django_db


def test_the_seed_split_is_exact():
    assert level_split(137_038) == (99_754, 37_284)
    assert sum(level_split(1001)) == 1001


@pytest.mark.parametrize(
    ("text", "years"),
    [("2017", [2017]), ("2017-2019", [2017, 2018, 2019]), ("2019,2017", [2017, 2019])],
)
def test_years_argument(text, years):
    assert parse_years(text) == years


def test_bad_arguments_are_command_errors():
    with pytest.raises(CommandError):
        call_command("seed_scale", dossiers=0)
    with pytest.raises(CommandError):
        call_command("seed_scale", dossiers=5, years="1800")
    with pytest.raises(CommandError):  # empty catalog
        call_command("seed_scale", dossiers=5, stdout=StringIO())


def test_years_mode_resolves_everything_within_the_year_in_the_seed_ratio():
    level3, level4 = Catalog(), Catalog(service_level=ServiceLevel.FULL)
    Catalog(service_level=ServiceLevel.INFORMATION)  # never used in years mode
    out = StringIO()
    call_command("seed_scale", dossiers=1370, years="2017", batch=500, stdout=out)

    assert "1,370" in out.getvalue()
    by_level = dict(
        Dossier.objects.values_list("procedure_version__service_level")
        .annotate(n=Count("id"))
        .values_list("procedure_version__service_level", "n")
    )
    assert by_level == {3: 997, 4: 373}  # 1370 × 99,754 / 137,038
    assert set(Dossier.objects.values_list("status", flat=True)) == {Status.RETURNED}
    span = Dossier.objects.aggregate(
        first=Min("received_at"), last=Max("returned_at"), first_sub=Min("submitted_at")
    )
    assert timezone.localtime(span["first_sub"]).year == 2017
    assert timezone.localtime(span["last"]).year == 2017
    assert not Dossier.objects.filter(returned_at__lt=models_f("received_at")).exists()
    assert level3.procedure.dossiers.exists() and level4.procedure.dossiers.exists()


def models_f(name):
    from django.db.models import F

    return F(name)


def test_default_mode_states_history_and_codes_are_consistent(clock):
    catalog = Catalog()
    call_command("seed_scale", dossiers=600, batch=250, stdout=StringIO())

    assert Dossier.objects.count() == 600
    assert Dossier.objects.values("code").distinct().count() == 600
    statuses = set(Dossier.objects.values_list("status", flat=True))
    assert {Status.RETURNED, Status.PROCESSING, Status.WITHDRAWN} <= statuses
    # Every dossier has a history and its last row gives the current status.
    for dossier in Dossier.objects.order_by("?")[:100]:
        events = list(dossier.events.order_by("at", "id"))
        assert events, dossier.code
        assert events[-1].to_status == dossier.status
        assert events[0].from_status is None
    assert DossierEvent.objects.values("dossier").distinct().count() == 600
    assert not Dossier.objects.filter(status__in=[2, 4], due_at__isnull=True).exists()
    assert not Dossier.objects.filter(submitted_at__gt=clock.now).exists()

    # A real filing afterwards continues the agency's daily sequence.
    today = timezone.localdate(clock.now)
    seeded_today = Dossier.objects.filter(
        receiving_agency=catalog.agency, code__contains=f"-{today:%y%m%d}-"
    ).count()
    dossier = file_walk_in(catalog)
    assert dossier.code.endswith(f"-{seeded_today + 1:04d}")


def test_no_duplicate_codes_across_runs():
    Catalog()
    call_command("seed_scale", dossiers=300, years="2017", stdout=StringIO())
    call_command("seed_scale", dossiers=300, years="2017", seed=7, stdout=StringIO())
    assert Dossier.objects.values("code").distinct().count() == 600
    assert (
        Dossier.objects.filter(
            submitted_at__lt=datetime.datetime(2017, 1, 1, tzinfo=datetime.UTC)
        ).count()
        == 0
    )
