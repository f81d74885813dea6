"""Business operations on the catalog: drafts, publishing, withdrawal (bãi bỏ).

A version is edited only while it is a draft; ``publish`` makes it the public version and
supersedes the previous one, after which it never changes again; ``withdraw`` takes a
procedure out of filing and the public catalog while the versions stay for the dossiers that
point at them. Every operation is one transaction, locks the procedure row, writes a
``CatalogAuditEntry`` with a field-level diff, and invalidates the public catalog cache on
commit. Pages, API, admin, commands and the importer all go through here (or ``bulk``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures.cache import invalidate_on_commit
from procedures.models import (
    AuditAction,
    CatalogAuditEntry,
    Procedure,
    ProcedureVersion,
    VersionState,
)
from procedures.snapshot import SNAPSHOT_FIELDS, Snapshot, diff, normalize, snapshot_of
from procedures.validation import Lookups, validate
from procedures.writer import assign_fields, replace_relations


class CatalogError(Exception):
    """A catalog rule was broken; ``message`` is for the user (Vietnamese)."""

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = problems or []


class NotEditable(CatalogError):
    pass


class DraftExists(CatalogError):
    pass


class NotPublished(CatalogError):
    pass


class InvalidContent(CatalogError):
    pass


def _lock(procedure: Procedure) -> Procedure:
    return Procedure.objects.select_for_update().get(pk=procedure.pk)


def _actor_id(actor) -> int | None:
    return actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None


def _audit(version: ProcedureVersion, action: str, actor, changes: dict, note: str = "") -> None:
    CatalogAuditEntry.objects.create(
        procedure_id=version.procedure_id,
        version=version,
        action=action,
        actor_id=_actor_id(actor),
        changes=changes,
        note=note,
    )


def _checked(snapshot: Snapshot, lookups: Lookups) -> Snapshot:
    problems = validate(snapshot, lookups)
    if problems:
        raise InvalidContent(_("Nội dung thủ tục chưa hợp lệ."), problems)
    return snapshot


def _full_version(pk: int) -> ProcedureVersion:
    return (
        ProcedureVersion.objects.select_related(
            "procedure", "implementing_agency", "competent_agency", "authorised_agency"
        )
        .prefetch_related(
            "sectors", "coordinating_agencies", "receiving_agencies", "channels", "documents"
        )
        .get(pk=pk)
    )


def current_version(procedure: Procedure) -> ProcedureVersion | None:
    """The published version, else the newest version of any state."""
    versions = procedure.versions.order_by("-number")
    return versions.filter(state=VersionState.PUBLISHED).first() or versions.first()


@transaction.atomic
def create_procedure(code: str, data: dict[str, Any], *, actor=None) -> ProcedureVersion:
    """A new procedure with its first draft built from ``data`` (snapshot keys)."""
    code = (code or "").strip()
    if not code or Procedure.objects.filter(code=code).exists():
        raise CatalogError(_("Mã thủ tục trống hoặc đã tồn tại."))
    procedure = Procedure.objects.create(code=code)
    return create_draft(procedure, actor=actor, data=data)


@transaction.atomic
def create_draft(
    procedure: Procedure, *, actor=None, data: dict[str, Any] | None = None
) -> ProcedureVersion:
    """A new draft: a copy of the current version with ``data`` applied (or ``data`` alone)."""
    procedure = _lock(procedure)
    if procedure.versions.filter(state=VersionState.DRAFT).exists():
        raise DraftExists(_("Thủ tục %(code)s đã có bản nháp.") % {"code": procedure.code})
    base = current_version(procedure)
    before = snapshot_of(_full_version(base.pk)) if base else None
    after = normalize({**(before or {}), **(data or {})})
    lookups = Lookups.load()
    _checked(after, lookups)
    number = (procedure.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ProcedureVersion(
        procedure=procedure, number=number, state=VersionState.DRAFT, created_by_id=_actor_id(actor)
    )
    assign_fields(version, procedure.code, after, lookups)
    version.save()
    replace_relations([(version.pk, after)], lookups, clear_existing=False)
    _audit(version, AuditAction.CREATE_DRAFT, actor, diff(before, after))
    return version


@transaction.atomic
def update_draft(
    version: ProcedureVersion, data: dict[str, Any], *, actor=None
) -> ProcedureVersion:
    """Change fields of a draft (``data`` holds snapshot keys); refused for any other state."""
    _lock(version.procedure)
    version = _full_version(version.pk)
    if version.state != VersionState.DRAFT:
        raise NotEditable(_("Chỉ sửa được bản nháp; phiên bản đã công bố là bất biến."))
    unknown = set(data) - set(SNAPSHOT_FIELDS)
    if unknown:
        raise CatalogError(_("Trường không hợp lệ: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    before = snapshot_of(version)
    after = normalize({**before, **data})
    changes = diff(before, after)
    if not changes:
        return version
    lookups = Lookups.load()
    _checked(after, lookups)
    assign_fields(version, version.procedure.code, after, lookups)
    version.save()
    replace_relations([(version.pk, after)], lookups, clear_existing=True)
    _audit(version, AuditAction.UPDATE_DRAFT, actor, changes)
    return version


@transaction.atomic
def record_draft_edit(version: ProcedureVersion, before: Snapshot | None, *, actor=None) -> None:
    """After an edit made through forms (the admin): refresh derived columns and audit it."""
    version = _full_version(version.pk)
    if version.state != VersionState.DRAFT:
        raise NotEditable(_("Chỉ sửa được bản nháp; phiên bản đã công bố là bất biến."))
    after = snapshot_of(version)
    lookups = Lookups.load()
    assign_fields(version, version.procedure.code, after, lookups)
    ProcedureVersion.objects.filter(pk=version.pk).update(
        search_text=version.search_text, content_hash=version.content_hash
    )
    action = AuditAction.CREATE_DRAFT if before is None else AuditAction.UPDATE_DRAFT
    changes = diff(before, after)
    if changes or before is None:
        _audit(version, action, actor, changes)


@transaction.atomic
def publish(version: ProcedureVersion, *, actor=None, note: str = "") -> ProcedureVersion:
    """Publish a draft; the previously published version becomes superseded."""
    procedure = _lock(version.procedure)
    version = _full_version(version.pk)
    if version.state != VersionState.DRAFT:
        raise NotEditable(_("Chỉ công bố được bản nháp."))
    after = snapshot_of(version)
    _checked(after, Lookups.load())
    previous = procedure.versions.filter(state=VersionState.PUBLISHED).first()
    before = snapshot_of(_full_version(previous.pk)) if previous else None
    now = timezone.now()
    if previous:
        ProcedureVersion.objects.filter(pk=previous.pk).update(state=VersionState.SUPERSEDED)
    ProcedureVersion.objects.filter(pk=version.pk).update(
        state=VersionState.PUBLISHED, published_at=now, published_by_id=_actor_id(actor)
    )
    version.refresh_from_db()
    changes = diff(before, after)
    if previous:
        changes["version"] = {"old": previous.number, "new": version.number}
    _audit(version, AuditAction.PUBLISH, actor, changes, note)
    invalidate_on_commit()
    return version


@transaction.atomic
def withdraw(procedure: Procedure, *, actor=None, reason: str = "") -> ProcedureVersion:
    """Bãi bỏ: the published version leaves filing and the public catalog, and stays on record."""
    procedure = _lock(procedure)
    version = procedure.versions.filter(state=VersionState.PUBLISHED).first()
    if version is None:
        raise NotPublished(
            _("Thủ tục %(code)s không có phiên bản đang công bố.") % {"code": procedure.code}
        )
    now = timezone.now()
    ProcedureVersion.objects.filter(pk=version.pk).update(
        state=VersionState.WITHDRAWN, withdrawn_at=now
    )
    version.refresh_from_db()
    changes = {"state": {"old": VersionState.PUBLISHED.value, "new": VersionState.WITHDRAWN.value}}
    _audit(version, AuditAction.WITHDRAW, actor, changes, reason.strip())
    invalidate_on_commit()
    return version
