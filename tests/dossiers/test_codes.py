"""Dossier codes: {agency}-{yyMMdd}-{NNNN}, daily sequence per receiving agency, unique under
concurrency (real PostgreSQL, real threads)."""

import datetime
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from dossiers.codes import allocate_code, format_code
from dossiers.models import Dossier
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import Catalog
from tests.factories import AgencyFactory


@pytest.mark.django_db
def test_sequence_is_daily_per_agency():
    a, b = AgencyFactory(code="H36.30"), AgencyFactory(code="H36.672.24412")
    day1 = timezone.make_aware(datetime.datetime(2017, 10, 25, 9, 0))
    day2 = day1 + datetime.timedelta(days=1)
    assert allocate_code(a, day1) == "H36.30-171025-0001"
    assert allocate_code(a, day1) == "H36.30-171025-0002"
    assert allocate_code(b, day1) == "H36.672.24412-171025-0001"
    assert allocate_code(a, day2) == "H36.30-171026-0001"


@pytest.mark.django_db
def test_day_is_the_local_date():
    agency = AgencyFactory(code="X1")
    # 23:30 UTC on the 24th is 06:30 on the 25th in Asia/Ho_Chi_Minh.
    late_utc = datetime.datetime(2017, 10, 24, 23, 30, tzinfo=datetime.UTC)
    assert allocate_code(agency, late_utc) == "X1-171025-0001"


def test_format_is_configurable(settings):
    settings.DOSSIER_CODE_FORMAT = "{agency}/{date:%Y}/{seq:06d}"
    assert format_code("H36", datetime.date(2025, 1, 2), 7) == "H36/2025/000007"


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_filings_get_fifty_distinct_codes(settings):
    assert connection.vendor == "postgresql"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    catalog = Catalog()
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def worker(count: int):
        try:
            barrier.wait(timeout=30)
            for _ in range(count):
                file_online(catalog)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(5,)) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    codes = list(Dossier.objects.values_list("code", flat=True))
    assert len(codes) == 50
    assert len(set(codes)) == 50
    sequences = sorted(int(code.rsplit("-", 1)[1]) for code in codes)
    assert sequences == list(range(1, 51))  # no gaps, no duplicates
