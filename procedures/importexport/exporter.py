"""Exporting the catalog in the import format (CSV or XLSX), one row per version."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from procedures.importexport.columns import ALL_COLUMNS, snapshot_to_row
from procedures.importexport.tables import write_csv, write_xlsx
from procedures.models import ProcedureVersion
from procedures.snapshot import SNAPSHOT_PREFETCH, SNAPSHOT_SELECT, snapshot_of

FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BATCH = 500


def _rows(versions: QuerySet[ProcedureVersion]) -> Iterator[list[str]]:
    queryset = (
        versions.select_related(*SNAPSHOT_SELECT)
        .prefetch_related(*SNAPSHOT_PREFETCH)
        .order_by("procedure__code", "number")
    )
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        for version in queryset.filter(pk__in=ids[start : start + BATCH]):
            row = snapshot_to_row(
                version.procedure.code,
                snapshot_of(version),
                version=version.number,
                state=version.state,
            )
            yield [row[column] for column in ALL_COLUMNS]


def export_catalog(versions: QuerySet[ProcedureVersion] | None = None, fmt: str = "csv") -> bytes:
    """The file for ``versions`` (default: every published version)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if versions is None:
        versions = ProcedureVersion.objects.published()
    writer = write_xlsx if fmt == "xlsx" else write_csv
    return writer(list(ALL_COLUMNS), _rows(versions))
