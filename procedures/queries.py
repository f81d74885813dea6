"""Read-side queries of the public catalog: the listing, its facets, and one full record.

Every query starts from ``ProcedureVersion.objects.visible_to(user).published()`` and costs a
fixed number of SQL statements whatever the catalog size (asserted in tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.http import QueryDict

from portal.models import UnitLevel
from procedures.filters import ProcedureFilter
from procedures.models import (
    Channel,
    ProcedureVersion,
    RequiredDocument,
    ServiceLevel,
    VersionState,
)
from procedures.search import fold

LIST_SELECT = ("procedure", "implementing_agency")
FACETS = ("gov_level", "service_level", "sector", "agency")


def public_versions(user) -> QuerySet[ProcedureVersion]:
    return ProcedureVersion.objects.visible_to(user).published()


def listing(queryset: QuerySet[ProcedureVersion]) -> QuerySet[ProcedureVersion]:
    """What a list shows: the agency, the code, the sectors; most used first, then by name."""
    return (
        queryset.select_related(*LIST_SELECT)
        .prefetch_related("sectors")
        .order_by("-procedure__filing_count", "name", "procedure__code")
    )


@dataclass
class FacetItem:
    value: str
    label: str
    count: int
    active: bool
    url: str = ""


def _toggle_url(data: QueryDict, key: str, item: FacetItem) -> str:
    """The query string that selects ``item`` (or clears the facet when it is active)."""
    copy = _without(data, key)
    if not item.active:
        copy[key] = item.value
    encoded = copy.urlencode()
    return f"?{encoded}" if encoded else "?"


def _without(data: QueryDict, key: str) -> QueryDict:
    copy = data.copy()
    copy.pop(key, None)
    copy.pop("page", None)
    return copy


def facets(data: QueryDict, base: QuerySet[ProcedureVersion]) -> dict[str, list[FacetItem]]:
    """Counts per value of each facet, each under every *other* active filter (4 queries)."""
    result: dict[str, list[FacetItem]] = {}

    def scoped(key: str) -> QuerySet[ProcedureVersion]:
        filterset = ProcedureFilter(_without(data, key), queryset=base)
        return filterset.qs if filterset.is_valid() else base.none()

    level_labels = dict(UnitLevel.choices)
    rows = scoped("gov_level").values("gov_level").annotate(n=Count("id")).order_by()
    counts = {row["gov_level"]: row["n"] for row in rows}
    result["gov_level"] = [
        FacetItem(value, str(level_labels[value]), counts[value], data.get("gov_level") == value)
        for value in UnitLevel.values
        if value in counts
    ]
    rows = scoped("service_level").values("service_level").annotate(n=Count("id")).order_by()
    counts = {row["service_level"]: row["n"] for row in rows}
    result["service_level"] = [
        FacetItem(str(value), str(label), counts[value], data.get("service_level") == str(value))
        for value, label in ServiceLevel.choices
        if value in counts
    ]
    rows = (
        scoped("sector").values("sectors__code", "sectors__name").annotate(n=Count("id")).order_by()
    )
    result["sector"] = [
        FacetItem(
            r["sectors__code"], r["sectors__name"], r["n"], data.get("sector") == r["sectors__code"]
        )
        for r in sorted(rows, key=lambda r: fold(r["sectors__name"] or ""))
        if r["sectors__code"]
    ]
    rows = (
        scoped("agency")
        .values("implementing_agency__code", "implementing_agency__name")
        .annotate(n=Count("id"))
        .order_by("-n", "implementing_agency__name")
    )
    result["agency"] = [
        FacetItem(
            r["implementing_agency__code"],
            r["implementing_agency__name"],
            r["n"],
            data.get("agency") == r["implementing_agency__code"],
        )
        for r in rows
    ]
    for key, items in result.items():
        for item in items:
            item.url = _toggle_url(data, key, item)
    return result


def full_record(queryset: QuerySet[ProcedureVersion]) -> QuerySet[ProcedureVersion]:
    """Everything the detail page and API show, in a fixed number of queries."""
    return queryset.select_related(
        "procedure", "implementing_agency", "competent_agency", "authorised_agency"
    ).prefetch_related(
        "sectors",
        "coordinating_agencies",
        "receiving_agencies",
        Prefetch("channels", queryset=Channel.objects.order_by("id")),
        Prefetch("documents", queryset=RequiredDocument.objects.order_by("position", "id")),
    )


def published_by_code(user, code: str) -> ProcedureVersion | None:
    return full_record(public_versions(user)).filter(procedure__code=code).first()


def withdrawn_by_code(code: str) -> ProcedureVersion | None:
    """The last version of a procedure that is no longer in force (for a helpful 410 page)."""
    return (
        ProcedureVersion.objects.filter(procedure__code=code, state=VersionState.WITHDRAWN)
        .select_related("procedure")
        .order_by("-number")
        .first()
    )


def filing_channel(version: ProcedureVersion) -> Channel | None:
    """The channel whose time applies to an online filing: online if offered, else direct."""
    channels = {c.kind: c for c in version.channels.all()}
    return channels.get("online") or channels.get("direct") or next(iter(channels.values()), None)


def documents_by_case(version: ProcedureVersion) -> list[tuple[str, list[RequiredDocument]]]:
    groups: dict[str, list[RequiredDocument]] = {}
    for document in version.documents.all():
        groups.setdefault(document.case, []).append(document)
    return list(groups.items())
