"""Writing a snapshot into version rows: one code path for the services, import and the seeder.

Callers own the transaction and the state rules; these helpers only turn a validated,
normalized snapshot into field values, child rows (channels, documents) and many-to-many rows,
in bulk so that a thousand versions cost a handful of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from procedures.models import Channel, ProcedureVersion, RequiredDocument
from procedures.search import build_search_text
from procedures.snapshot import Snapshot, content_hash
from procedures.validation import Lookups

SCALAR_FIELDS = (
    "local_code",
    "name",
    "gov_level",
    "service_level",
    "steps",
    "applicants",
    "conditions",
    "result_name",
    "legal_basis",
    "publishing_decision",
    "keywords",
    "related_codes",
    "postal_eligible",
    "online_payment",
    "result_must_be_signed",
)
# Every column bulk_update must write after assign_fields().
UPDATE_FIELDS = (
    *SCALAR_FIELDS,
    "result_template",
    "implementing_agency",
    "competent_agency",
    "authorised_agency",
    "search_text",
    "content_hash",
)


def assign_fields(
    version: ProcedureVersion, code: str, snapshot: Snapshot, lookups: Lookups
) -> None:
    """Set the version's own columns (not its relations) from ``snapshot``."""
    for name in SCALAR_FIELDS:
        setattr(version, name, snapshot[name])
    version.result_template = snapshot["result_template"]
    version.implementing_agency_id = lookups.agencies[snapshot["implementing_agency"]]
    version.competent_agency_id = lookups.agencies.get(snapshot["competent_agency"])
    version.authorised_agency_id = lookups.agencies.get(snapshot["authorised_agency"])
    version.search_text = build_search_text(
        code=code,
        local_code=snapshot["local_code"],
        name=snapshot["name"],
        keywords=snapshot["keywords"],
        sector_names=lookups.sector_names(snapshot["sectors"]),
    )
    version.content_hash = content_hash(snapshot)


def replace_relations(
    items: Iterable[tuple[int, Snapshot]], lookups: Lookups, *, clear_existing: bool
) -> None:
    """Write channels, documents and many-to-many rows of each ``(version id, snapshot)``."""
    items = list(items)
    if not items:
        return
    ids = [version_id for version_id, _snapshot in items]
    sectors = ProcedureVersion.sectors.through
    coordinating = ProcedureVersion.coordinating_agencies.through
    receiving = ProcedureVersion.receiving_agencies.through
    if clear_existing:
        Channel.objects.filter(version_id__in=ids).delete()
        RequiredDocument.objects.filter(version_id__in=ids).delete()
        for through in (sectors, coordinating, receiving):
            through.objects.filter(procedureversion_id__in=ids).delete()
    channels, documents, sector_rows, coordinating_rows, receiving_rows = [], [], [], [], []
    for version_id, snapshot in items:
        channels += [
            Channel(
                version_id=version_id,
                kind=c["kind"],
                processing_time=Decimal(c["processing_time"]),
                time_unit=c["time_unit"],
                fee_vnd=c["fee_vnd"],
                fee_description=c["fee_description"],
            )
            for c in snapshot["channels"]
        ]
        documents += [
            RequiredDocument(
                version_id=version_id,
                position=position,
                **{key: d[key] for key in d if key != "form_template"},
                form_template=d["form_template"],
            )
            for position, d in enumerate(snapshot["documents"])
        ]
        sector_rows += [
            sectors(procedureversion_id=version_id, sector_id=lookups.sectors[code][0])
            for code in snapshot["sectors"]
        ]
        coordinating_rows += [
            coordinating(procedureversion_id=version_id, agency_id=lookups.agencies[code])
            for code in snapshot["coordinating_agencies"]
        ]
        receiving_rows += [
            receiving(procedureversion_id=version_id, agency_id=lookups.agencies[code])
            for code in snapshot["receiving_agencies"]
        ]
    Channel.objects.bulk_create(channels, batch_size=1000)
    RequiredDocument.objects.bulk_create(documents, batch_size=1000)
    sectors.objects.bulk_create(sector_rows, batch_size=1000)
    coordinating.objects.bulk_create(coordinating_rows, batch_size=1000)
    receiving.objects.bulk_create(receiving_rows, batch_size=1000)
