"""Writing many procedure versions at once: the engine behind import and the demo catalog.

``plan`` compares each incoming snapshot with the database by ``content_hash`` and decides one
action per row; ``apply`` performs the plan with bulk queries (a fixed number per kind of row,
whatever the number of rows), supersedes replaced versions, writes the audit entries and
invalidates the public cache. Same input twice: the second plan is all ``unchanged``.

Rules, per procedure code:

* unknown code → ``create`` (version 1);
* equal to the published version → ``unchanged`` (a pending draft is left alone);
* a draft exists: equal to it → ``publish_draft`` when publishing, else ``unchanged``;
  different → ``update_draft`` (drafts are editable, so it is rewritten in place);
* otherwise, equal to the newest version (e.g. a withdrawn one) → ``unchanged``;
  different → ``new_version`` (number = highest + 1).

With ``publish`` every new or rewritten version is published and the previous published one
becomes superseded; without it they stay drafts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from procedures.cache import invalidate_on_commit
from procedures.models import (
    AuditAction,
    CatalogAuditEntry,
    Procedure,
    ProcedureVersion,
    VersionState,
)
from procedures.snapshot import (
    SNAPSHOT_PREFETCH,
    SNAPSHOT_SELECT,
    Snapshot,
    content_hash,
    diff,
    snapshot_of,
)
from procedures.validation import Lookups
from procedures.writer import UPDATE_FIELDS, assign_fields, replace_relations

CHUNK = 2000


class Action(StrEnum):
    CREATE = "create"
    NEW_VERSION = "new_version"
    UPDATE_DRAFT = "update_draft"
    PUBLISH_DRAFT = "publish_draft"
    UNCHANGED = "unchanged"


ACTION_LABELS = {
    Action.CREATE: _("Thêm thủ tục mới"),
    Action.NEW_VERSION: _("Tạo phiên bản mới"),
    Action.UPDATE_DRAFT: _("Cập nhật bản nháp"),
    Action.PUBLISH_DRAFT: _("Công bố bản nháp hiện có"),
    Action.UNCHANGED: _("Không thay đổi"),
}


@dataclass
class RowInput:
    row: int
    code: str
    snapshot: Snapshot


@dataclass
class RowPlan:
    row: int
    code: str
    action: Action
    snapshot: Snapshot
    hash: str
    procedure_id: int | None = None
    published_id: int | None = None
    draft_id: int | None = None
    next_number: int = 1
    changes: dict = field(default_factory=dict)
    version_id: int | None = None

    @property
    def label(self) -> str:
        return str(ACTION_LABELS[self.action])


@dataclass
class Result:
    plans: list[RowPlan]
    published: bool

    def count(self, action: Action) -> int:
        return sum(1 for p in self.plans if p.action == action)

    @property
    def changed(self) -> list[RowPlan]:
        return [p for p in self.plans if p.action != Action.UNCHANGED]

    def summary(self) -> dict[str, int]:
        return {action.value: self.count(action) for action in Action}


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan(rows: Iterable[RowInput], *, publish: bool) -> list[RowPlan]:
    """Decide what each row does (reads only; call inside the transaction that applies it)."""
    rows = list(rows)
    codes = [r.code for r in rows]
    procedure_ids: dict[str, int] = {}
    for chunk in _chunks(codes):
        procedure_ids.update(Procedure.objects.filter(code__in=chunk).values_list("code", "id"))
    versions: dict[int, list[dict]] = {}
    for chunk in _chunks(list(procedure_ids.values())):
        for row in ProcedureVersion.objects.filter(procedure_id__in=chunk).values(
            "id", "procedure_id", "state", "content_hash", "number"
        ):
            versions.setdefault(row["procedure_id"], []).append(row)

    plans: list[RowPlan] = []
    bases: dict[int, int] = {}  # plan index -> version id to diff against
    for row in rows:
        digest = content_hash(row.snapshot)
        item = RowPlan(row.row, row.code, Action.UNCHANGED, row.snapshot, digest)
        pid = procedure_ids.get(row.code)
        if pid is None:
            item.action = Action.CREATE
            item.changes = diff(None, row.snapshot)
            plans.append(item)
            continue
        existing = sorted(versions.get(pid, []), key=lambda v: v["number"])
        by_state = {v["state"]: v for v in existing}
        published, draft = by_state.get(VersionState.PUBLISHED), by_state.get(VersionState.DRAFT)
        item.procedure_id = pid
        item.published_id = published["id"] if published else None
        item.draft_id = draft["id"] if draft else None
        item.next_number = (existing[-1]["number"] + 1) if existing else 1
        if published and published["content_hash"] == digest:
            item.action = Action.UNCHANGED
        elif draft:
            if draft["content_hash"] == digest:
                item.action = Action.PUBLISH_DRAFT if publish else Action.UNCHANGED
                if publish and published:
                    bases[len(plans)] = published["id"]
            else:
                item.action = Action.UPDATE_DRAFT
                bases[len(plans)] = draft["id"]
        elif existing and existing[-1]["content_hash"] == digest:
            item.action = Action.UNCHANGED
        else:
            item.action = Action.NEW_VERSION
            base = published or (existing[-1] if existing else None)
            if base:
                bases[len(plans)] = base["id"]
        if item.action == Action.PUBLISH_DRAFT and len(plans) not in bases:
            item.changes = diff(None, row.snapshot)
        plans.append(item)

    if bases:
        snapshots = {}
        for chunk in _chunks(list(set(bases.values()))):
            queryset = (
                ProcedureVersion.objects.filter(pk__in=chunk)
                .select_related(*SNAPSHOT_SELECT)
                .prefetch_related(*SNAPSHOT_PREFETCH)
            )
            snapshots.update({v.pk: snapshot_of(v) for v in queryset})
        for index, version_id in bases.items():
            plans[index].changes = diff(snapshots[version_id], plans[index].snapshot)
    return plans


@transaction.atomic
def apply(
    plans: list[RowPlan], *, lookups: Lookups, publish: bool, actor=None, note: str = ""
) -> Result:
    """Carry out ``plans`` (from ``plan`` in the same transaction)."""
    now = timezone.now()
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    published_fields = (
        {"state": VersionState.PUBLISHED, "published_at": now, "published_by_id": actor_id}
        if publish
        else {}
    )
    by_action: dict[Action, list[RowPlan]] = {action: [] for action in Action}
    for item in plans:
        by_action[item.action].append(item)

    # 1. Supersede the published versions that are being replaced (before any new one is
    #    published: one published version per procedure is a database constraint).
    if publish:
        replaced = [
            p.published_id
            for p in plans
            if p.published_id
            and p.action in (Action.NEW_VERSION, Action.UPDATE_DRAFT, Action.PUBLISH_DRAFT)
        ]
        for chunk in _chunks(replaced):
            ProcedureVersion.objects.filter(pk__in=chunk).update(state=VersionState.SUPERSEDED)

    # 2. New procedures.
    created = Procedure.objects.bulk_create(
        [Procedure(code=p.code) for p in by_action[Action.CREATE]], batch_size=1000
    )
    for item, procedure in zip(by_action[Action.CREATE], created, strict=True):
        item.procedure_id = procedure.pk

    # 3. Drafts rewritten in place (and published when asked).
    drafts = by_action[Action.UPDATE_DRAFT]
    if drafts:
        objects = ProcedureVersion.objects.in_bulk([p.draft_id for p in drafts])
        to_update = []
        for item in drafts:
            version = objects[item.draft_id]
            assign_fields(version, item.code, item.snapshot, lookups)
            for name, value in published_fields.items():
                setattr(version, name, value)
            item.version_id = version.pk
            to_update.append(version)
        fields = [*UPDATE_FIELDS, *published_fields]
        ProcedureVersion.objects.bulk_update(to_update, fields, batch_size=200)
        replace_relations(
            ((p.version_id, p.snapshot) for p in drafts), lookups, clear_existing=True
        )

    # 4. Existing drafts that only need publishing.
    for item in by_action[Action.PUBLISH_DRAFT]:
        item.version_id = item.draft_id
    ready = [p.draft_id for p in by_action[Action.PUBLISH_DRAFT]]
    for chunk in _chunks(ready):
        ProcedureVersion.objects.filter(pk__in=chunk).update(**published_fields)

    # 5. New versions (of new and of existing procedures).
    fresh = by_action[Action.CREATE] + by_action[Action.NEW_VERSION]
    new_versions = []
    for item in fresh:
        version = ProcedureVersion(
            procedure_id=item.procedure_id,
            number=item.next_number,
            created_by_id=actor_id,
            **{"state": VersionState.DRAFT, **published_fields},
        )
        assign_fields(version, item.code, item.snapshot, lookups)
        new_versions.append(version)
    ProcedureVersion.objects.bulk_create(new_versions, batch_size=500)
    for item, version in zip(fresh, new_versions, strict=True):
        item.version_id = version.pk
    replace_relations(((p.version_id, p.snapshot) for p in fresh), lookups, clear_existing=False)

    # 6. The audit trail: one import entry per changed row, plus a publish entry.
    entries = []
    for item in plans:
        if item.action == Action.UNCHANGED:
            continue
        row_note = f"{note} (dòng {item.row})" if note else ""
        if item.action != Action.PUBLISH_DRAFT:
            entries.append(
                CatalogAuditEntry(
                    procedure_id=item.procedure_id,
                    version_id=item.version_id,
                    action=AuditAction.IMPORT,
                    actor_id=actor_id,
                    changes=item.changes,
                    note=row_note,
                )
            )
        if publish:
            entries.append(
                CatalogAuditEntry(
                    procedure_id=item.procedure_id,
                    version_id=item.version_id,
                    action=AuditAction.PUBLISH,
                    actor_id=actor_id,
                    changes=item.changes,
                    note=row_note,
                )
            )
    CatalogAuditEntry.objects.bulk_create(entries, batch_size=1000)
    if entries:
        invalidate_on_commit()
    return Result(plans=plans, published=publish)


def write(
    rows: Iterable[RowInput],
    *,
    lookups: Lookups,
    publish: bool,
    actor=None,
    note: str = "",
    dry_run: bool = False,
) -> Result:
    """Plan and (unless ``dry_run``) apply ``rows`` in one transaction, procedures locked."""
    rows = list(rows)
    with transaction.atomic():
        codes = [r.code for r in rows]
        for chunk in _chunks(codes):
            list(Procedure.objects.select_for_update().filter(code__in=chunk).values_list("id"))
        plans = plan(rows, publish=publish)
        if dry_run:
            return Result(plans=plans, published=publish)
        return apply(plans, lookups=lookups, publish=publish, actor=actor, note=note)
