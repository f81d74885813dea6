"""The desk queues' data: tabs by status, the rows of one page and the tab counts.

A staff member's queue is every dossier that one of their agencies receives, holds or returns
(``receiving_agency``, ``current_agency``, ``returning_agency``) in the tab's status, in the tab's
order. Written as one ``OR`` over three columns, PostgreSQL must collect and sort all of the
agency's rows in that status for every page (at 1,000,000 dossiers: tens of thousands). Here the
page is read instead as a ``UNION`` of one *branch* per (agency, column, status), each an ordered
range of a matching index (``dossier_queue_*``, ``dossier_intake_*``, ``dossier_returned_*``)
cut at ``offset + page size`` rows; the union of the first N rows of every branch holds the first
N rows of the queue, so page 50 reads at most 3 × 1,000 index entries at any data size.

Tab counts cover the agency's whole open workload; they are kept in the cache per set of agencies
for ``COUNTS_TTL`` seconds (the overdue count moves with the clock) and dropped at once when a
dossier of one of those agencies changes state (``dossier_transitioned``). Filtered views (search,
procedure, sector…) count live: the filter bounds them.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Expression, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from dossiers import list_cache
from dossiers.models import PAUSED_STATUSES, RUNNING_STATUSES, Dossier, Status, overdue_q
from portal import generations
from portal.permissions import Grants

#: Where a dossier shows up for an agency: it receives it, holds it, returns it, or decided it
#: (the deciding leader signs the result after it has travelled back; ``visible_to``).
AGENCY_COLUMNS = (
    "current_agency_id",
    "receiving_agency_id",
    "returning_agency_id",
    "deciding_agency_id",
)
COUNTS_TTL = 60  # seconds
DIRECTORY_TTL = 300  # seconds: filter options (sectors, specialists) and the rendered form
CACHE_PREFIX = "desk-queue"


@dataclass(frozen=True)
class Tab:
    key: str
    label: str | Promise
    status: int | None  # None: the overdue tab


TABS = (
    Tab("new", gettext_lazy("Chờ tiếp nhận"), Status.SUBMITTED),
    Tab("received", gettext_lazy("Đã tiếp nhận"), Status.RECEIVED),
    Tab("processing", gettext_lazy("Đang xử lý"), Status.PROCESSING),
    Tab("supplement", gettext_lazy("Chờ bổ sung"), Status.SUPPLEMENT_REQUESTED),
    Tab("payment", gettext_lazy("Chờ nghĩa vụ tài chính"), Status.PAYMENT_REQUESTED),
    Tab("suspended", gettext_lazy("Tạm dừng"), Status.SUSPENDED),
    Tab("overdue", gettext_lazy("Quá hạn"), None),
    Tab("result", gettext_lazy("Chờ trả kết quả"), Status.RESULT_READY),
    Tab("returned", gettext_lazy("Đã trả"), Status.RETURNED),
)
TABS_BY_KEY = {tab.key: tab for tab in TABS}
DEFAULT_TAB = "new"

#: Statuses whose tabs are counted on every page view: the open workload, bounded by what the
#: agency has in hand. "Đã trả" grows with history and is counted only when it is shown.
WORKLOAD_STATUSES = tuple(t.status for t in TABS if t.status not in (None, Status.RETURNED))


@dataclass(frozen=True)
class Branch:
    """One status of a tab: an optional extra condition and the sort key (ascending unless
    ``descending``; ascending puts nulls last, then id in the same direction)."""

    status: int
    sort: Expression
    condition: Q | None = None
    descending: bool = False


def branches_for(tab: Tab, now: datetime.datetime) -> list[Branch]:
    if tab.status == Status.SUBMITTED:
        return [Branch(Status.SUBMITTED, F("intake_due_at"))]
    if tab.status == Status.RETURNED:
        return [Branch(Status.RETURNED, F("returned_at"), descending=True)]
    if tab.status is not None:
        return [Branch(tab.status, F("due_at"))]
    # Overdue (mirrors models.overdue_q): ordered by Coalesce(due_at, intake_due_at), which is
    # due_at itself wherever a due_at condition holds.
    result = [
        Branch(
            Status.SUBMITTED,
            Coalesce("due_at", "intake_due_at"),
            Q(intake_due_at__lt=now),
        )
    ]
    result += [Branch(s, F("due_at"), Q(due_at__lt=now)) for s in sorted(RUNNING_STATUSES)]
    result += [
        Branch(s, F("due_at"), Q(due_at__lt=F("paused_at"))) for s in sorted(PAUSED_STATUSES)
    ]
    return result


def _ordering(branch: Branch) -> list:
    if branch.descending:
        # Only "Đã trả" sorts descending, by returned_at, never null in status 10: plain DESC
        # matches its indexes (SQLite cannot declare NULLS LAST in an index).
        return [F("sort_key").desc(), F("id").desc()]
    return [F("sort_key").asc(nulls_last=True), F("id").asc()]


def _scope_q(grants: Grants, statuses: Iterable[int]) -> Q:
    statuses = list(statuses)
    if grants.is_superuser and not grants.agency_ids:
        return Q(status__in=statuses)
    agencies = sorted(grants.agency_ids)
    condition = Q()
    for column in AGENCY_COLUMNS:
        condition |= Q(**{f"{column}__in": agencies, "status__in": statuses})
    return condition


def queue_scope(queryset: QuerySet, grants: Grants, statuses: Iterable[int]) -> QuerySet:
    """Narrow ``queryset`` to the dossiers the user's agencies receive, hold or return in
    ``statuses``. Never widens: it only adds a condition."""
    return queryset.filter(_scope_q(grants, statuses))


def page_ids(
    filtered: QuerySet, grants: Grants, tab: Tab, now: datetime.datetime, start: int, stop: int
) -> list[int]:
    """The ids of rows ``start:stop`` of the tab, in order (one query).

    ``filtered`` carries the page's filters on ``Dossier.objects`` (no row scope): every branch
    is bounded to one of the user's agencies, so none widens what the user may see."""
    branches = branches_for(tab, now)
    if grants.is_superuser and not grants.agency_ids:
        scopes: list[dict] = [{}]
    else:
        scopes = [{column: a} for a in sorted(grants.agency_ids) for column in AGENCY_COLUMNS]
    parts = []
    for branch in branches:
        for scope in scopes:
            part = filtered.filter(status=branch.status, **scope)
            if branch.condition is not None:
                part = part.filter(branch.condition)
            parts.append(
                part.annotate(sort_key=branch.sort)
                .order_by(*_ordering(branch))
                .values_list("id", "sort_key")[:stop]
            )
    if not parts:
        return []
    if len(parts) == 1:
        rows = parts[0][start:stop]
    else:
        rows = parts[0].union(*parts[1:]).order_by(*_ordering(branches[0]))[start:stop]
    return [row[0] for row in rows]


def fetch_page(
    rows: QuerySet,
    filtered: QuerySet,
    grants: Grants,
    tab: Tab,
    now: datetime.datetime,
    start: int,
    stop: int,
) -> list[Dossier]:
    """Rows ``start:stop`` of the tab as ``rows`` (select_related, only…) objects, in order."""
    ids = page_ids(filtered, grants, tab, now, start, stop)
    if not ids:
        return []
    by_id = {d.pk: d for d in rows.filter(pk__in=ids)}
    return [by_id[pk] for pk in ids if pk in by_id]


class QueueRows(Sequence):
    """What ``Paginator`` slices: its length is the tab count, a slice runs ``fetch``."""

    def __init__(self, total: int, fetch: Callable[[int, int], list]):
        self.total = total
        self.fetch = fetch

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if not isinstance(index, slice):
            raise TypeError("QueueRows only supports slices")
        start, stop, _step = index.indices(self.total)
        return self.fetch(start, stop) if stop > start else []


# --- counts -------------------------------------------------------------------------------------


def _count_live(
    filtered: QuerySet, grants: Grants, statuses: set[int], now: datetime.datetime
) -> dict[str, int]:
    """One grouped pass over the agencies' rows in ``statuses``: per status, and overdue."""
    rows = (
        queue_scope(filtered, grants, statuses)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q(now)))
        .values_list("status", "n", "late")
    )
    counts = {"overdue": 0}
    for status, n, late in rows:
        counts[str(status)] = n
        if status in WORKLOAD_STATUSES:
            counts["overdue"] += late
    return counts


def _generation_keys(agencies: Iterable[int]) -> list[str]:
    return list_cache.agency_keys(agencies)


def forget_counts(agency_ids: Iterable[int]) -> None:
    """Drop the cached tab counts and rendered queues (``list_cache``) of every set of agencies
    that includes one of these, and of the superuser's all-agencies queue."""
    generations.replace([*_generation_keys(set(agency_ids)), list_cache.ALL_AGENCIES_KEY])


def fragment_generation_keys(grants: Grants) -> list[str]:
    """What a rendered queue of ``grants`` depends on besides the clock: its agencies' dossiers
    (or every agency's), the names in its rows and the filter form's options."""
    if grants.is_superuser and not grants.agency_ids:
        scope = [list_cache.ALL_AGENCIES_KEY]
    else:
        scope = _generation_keys(grants.agency_ids)
    return [*scope, list_cache.NAMES_KEY, DIRECTORY_KEY]


def fragment_key(grants: Grants, params, language: str) -> str:
    """The cache key of a rendered queue: the grants (agencies and roles, or "all"), the query
    string (tab, page, filters, search) and the language. Shared by every user with the same
    grants; nothing of the user is in it."""
    if grants.is_superuser and not grants.agency_ids:
        scope: tuple = ("all",)
    else:
        scope = tuple(sorted((a, tuple(sorted(r))) for a, r in grants.roles_by_agency.items()))
    digest = list_cache.digest(
        (scope, grants.is_superuser, language, list_cache.query_items(params))
    )
    return f"{CACHE_PREFIX}:page:{digest}"


def tab_counts(
    filtered: QuerySet,
    grants: Grants,
    tab: Tab,
    now: datetime.datetime,
    *,
    cacheable: bool,
) -> dict[str, int | None]:
    """Counts by tab key; ``None`` for tabs not counted on this view ("Đã trả" unless open)."""
    statuses = set(WORKLOAD_STATUSES)
    if tab.status == Status.RETURNED:
        statuses.add(Status.RETURNED)
    agencies = sorted(grants.agency_ids)
    raw = None
    key = None
    if cacheable and agencies:
        generations = cache.get_many(_generation_keys(agencies))
        key = ":".join(
            [
                CACHE_PREFIX,
                "counts",
                ".".join(map(str, agencies)),
                ".".join(generations.get(k, "0") for k in _generation_keys(agencies)),
                ".".join(map(str, sorted(statuses))),
            ]
        )
        raw = cache.get(key)
    if raw is None:
        raw = _count_live(filtered, grants, statuses, now)
        if key is not None:
            cache.set(key, raw, COUNTS_TTL)
    counts: dict[str, int | None] = {
        t.key: raw.get(str(t.status), 0) if t.status in statuses else None
        for t in TABS
        if t.status is not None
    }
    counts["overdue"] = raw["overdue"]
    return counts


def forget_lists_on_commit(agency_ids: Iterable[int], applicant_id: int | None) -> None:
    """A recorded change (``events.record_event``) drops, once it commits, the counts and
    rendered queues of the agencies involved (before and after, receiving, returning, deciding)
    with the all-agencies queue, and the applicant's "my dossiers" (``list_cache``). No query;
    every list a transaction drops goes into one Redis write (``generations.replace_on_commit``),
    a batch of hand-overs included."""
    agencies = {a for a in agency_ids if a}
    keys = [list_cache.applicant_key(applicant_id)] if applicant_id else []
    if agencies:
        keys += [*_generation_keys(agencies), list_cache.ALL_AGENCIES_KEY]
    generations.replace_on_commit(keys)


# --- the directory behind the filter form (sectors, specialists) ---------------------------------


DIRECTORY_KEY = f"{CACHE_PREFIX}:directory"


def directory_key(kind: str, parts) -> str:
    """A cache key for data derived from sectors and staff; ``forget_directory`` drops them all."""
    generation = cache.get(DIRECTORY_KEY) or "0"
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"{CACHE_PREFIX}:{kind}:{generation}:{digest}"


def forget_directory(sender=None, created: bool = False, update_fields=None, **kwargs) -> None:
    """Sectors, memberships and staff names changed. A user's save that cannot change a name
    (a new account, or ``last_login`` at every sign-in) changes none of the options."""
    from django.contrib.auth import get_user_model

    if sender is get_user_model() and not list_cache.names_changed(created, update_fields):
        return
    generations.replace([DIRECTORY_KEY])
