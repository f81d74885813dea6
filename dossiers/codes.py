"""Dossier codes: ``{agency code}-{yyMMdd}-{NNNN}`` (domain.md), allocated in the database.

The sequence restarts every day per receiving agency. It is taken from a counter row locked
for the rest of the filing transaction, so two concurrent filings can never get the same
number and a rolled-back filing gives its number back. On PostgreSQL one
``INSERT … ON CONFLICT … RETURNING`` statement does it; elsewhere a ``select_for_update``.
The format is the setting ``DOSSIER_CODE_FORMAT`` (``str.format`` with ``agency`` — the agency
code —, ``date`` — a ``datetime.date`` — and ``seq``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from dossiers.models import DossierCodeCounter
from portal.models import Agency

DEFAULT_FORMAT = "{agency}-{date:%y%m%d}-{seq:04d}"


def code_format() -> str:
    return getattr(settings, "DOSSIER_CODE_FORMAT", DEFAULT_FORMAT) or DEFAULT_FORMAT


def format_code(agency_code: str, day: datetime.date, seq: int) -> str:
    return code_format().format(agency=agency_code, date=day, seq=seq)


def next_sequence(agency: Agency, day: datetime.date) -> int:
    """Reserve the next number of ``agency``'s sequence for ``day`` (must run in a transaction:
    the counter row stays locked until it commits)."""
    if connection.vendor == "postgresql":
        table = DossierCodeCounter._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (agency_id, day, last_value) VALUES (%s, %s, 1)
                ON CONFLICT (agency_id, day)
                DO UPDATE SET last_value = {table}.last_value + 1
                RETURNING last_value
                """,  # noqa: S608 - the table name is ours, values are parameters
                [agency.pk, day],
            )
            return cursor.fetchone()[0]
    counter, _created = DossierCodeCounter.objects.select_for_update().get_or_create(
        agency=agency, day=day, defaults={"last_value": 0}
    )
    DossierCodeCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + 1)
    counter.refresh_from_db(fields=["last_value"])
    return counter.last_value


@transaction.atomic(savepoint=False)  # inside a filing: no savepoint round trips
def allocate_code(agency: Agency, at: datetime.datetime | None = None) -> str:
    """A new dossier code for ``agency`` on the local date of ``at`` (default: now)."""
    day = timezone.localdate(at or timezone.now())
    return format_code(agency.code, day, next_sequence(agency, day))
