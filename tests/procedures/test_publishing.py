"""Drafts, publishing, immutability and withdrawal (bãi bỏ), each audited."""

import pytest
from django.core.cache import cache

from procedures import services
from procedures.cache import GENERATION_KEY, generation
from procedures.models import AuditAction, CatalogAuditEntry, ProcedureVersion, VersionState
from tests.factories import AgencyFactory, UserFactory
from tests.procedures.factories import SectorFactory, valid_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    return AgencyFactory(code="H36.03", name="Sở Xây dựng")


@pytest.fixture
def sector():
    return SectorFactory(code="XD", name="Xây dựng")


@pytest.fixture
def admin_user():
    return UserFactory(username="catalog.admin")


def new_draft(agency, sector, actor, **overrides):
    data = valid_snapshot(agency_code=agency.code, sector_code=sector.code, **overrides)
    return services.create_procedure("1.009999", data, actor=actor)


def test_a_new_procedure_starts_as_an_audited_draft(agency, sector, admin_user):
    draft = new_draft(agency, sector, admin_user)

    assert draft.state == VersionState.DRAFT
    assert draft.number == 1
    assert draft.channels.count() == 2
    assert list(draft.documents.values_list("code", flat=True)) == ["don", "ban-ve"]
    assert "cap giay phep thu nghiem" in draft.search_text
    assert "xay dung" in draft.search_text  # sector name is searchable
    entry = CatalogAuditEntry.objects.get()
    assert entry.action == AuditAction.CREATE_DRAFT
    assert entry.actor == admin_user
    assert entry.changes["name"] == {"old": None, "new": "Cấp giấy phép thử nghiệm"}
    assert not ProcedureVersion.objects.published().exists()


def test_publishing_supersedes_the_previous_version_and_diffs_it(agency, sector, admin_user):
    first = services.publish(new_draft(agency, sector, admin_user), actor=admin_user)
    assert first.state == VersionState.PUBLISHED and first.published_by == admin_user

    second = services.create_draft(first.procedure, actor=admin_user, data={"name": "Tên mới"})
    assert second.number == 2
    # The copy keeps everything else of the published version.
    assert second.channels.count() == 2 and second.documents.count() == 2
    services.update_draft(
        second,
        {
            "channels": [
                {"kind": "direct", "processing_time": "7"},
                {"kind": "online", "processing_time": "5"},
            ]
        },
        actor=admin_user,
    )
    published = services.publish(second, actor=admin_user, note="Quyết định 123/QĐ-UBND")

    first.refresh_from_db()
    assert first.state == VersionState.SUPERSEDED
    assert published.state == VersionState.PUBLISHED
    assert ProcedureVersion.objects.published().get() == published
    entry = CatalogAuditEntry.objects.filter(action=AuditAction.PUBLISH).order_by("id").last()
    assert entry.version == published
    assert entry.note == "Quyết định 123/QĐ-UBND"
    assert entry.changes["name"] == {"old": "Cấp giấy phép thử nghiệm", "new": "Tên mới"}
    assert entry.changes["version"] == {"old": 1, "new": 2}
    assert "channels" in entry.changes and "documents" not in entry.changes


def test_published_versions_are_immutable(agency, sector, admin_user):
    version = services.publish(new_draft(agency, sector, admin_user), actor=admin_user)
    with pytest.raises(services.NotEditable):
        services.update_draft(version, {"name": "Sửa lén"}, actor=admin_user)
    with pytest.raises(services.NotEditable):
        services.publish(version, actor=admin_user)
    version.refresh_from_db()
    assert version.name == "Cấp giấy phép thử nghiệm"


def test_only_one_draft_per_procedure(agency, sector, admin_user):
    draft = new_draft(agency, sector, admin_user)
    with pytest.raises(services.DraftExists):
        services.create_draft(draft.procedure, actor=admin_user)


def test_invalid_content_is_refused_with_field_problems(agency, sector, admin_user):
    draft = new_draft(agency, sector, admin_user)
    with pytest.raises(services.InvalidContent) as caught:
        services.update_draft(
            draft,
            {"service_level": 4, "channels": [{"kind": "direct", "processing_time": "-1"}]},
            actor=admin_user,
        )
    fields = {field for field, _message in caught.value.problems}
    assert {"channels.direct.processing_time", "channels.online"} <= fields
    draft.refresh_from_db()
    assert draft.service_level == 3


def test_withdrawal_hides_the_procedure_but_keeps_the_version(agency, sector, admin_user):
    version = services.publish(new_draft(agency, sector, admin_user), actor=admin_user)
    assert ProcedureVersion.objects.accepting_online().filter(pk=version.pk).exists()

    services.withdraw(version.procedure, actor=admin_user, reason="Bãi bỏ theo QĐ 45")

    version.refresh_from_db()
    assert version.state == VersionState.WITHDRAWN and version.withdrawn_at
    assert not ProcedureVersion.objects.published().exists()
    assert not ProcedureVersion.objects.accepting_online().exists()
    entry = CatalogAuditEntry.objects.get(action=AuditAction.WITHDRAW)
    assert entry.note == "Bãi bỏ theo QĐ 45"
    assert entry.changes["state"] == {"old": "published", "new": "withdrawn"}
    with pytest.raises(services.NotPublished):
        services.withdraw(version.procedure, actor=admin_user)


def test_publish_and_withdraw_bump_the_cache_generation(
    agency, sector, admin_user, django_capture_on_commit_callbacks
):
    before = generation()
    with django_capture_on_commit_callbacks(execute=True):
        version = services.publish(new_draft(agency, sector, admin_user), actor=admin_user)
    after_publish = generation()
    assert after_publish > before
    with django_capture_on_commit_callbacks(execute=True):
        services.withdraw(version.procedure, actor=admin_user)
    assert generation() > after_publish


def test_generation_survives_a_lost_cache_key():
    first = generation()
    cache.delete(GENERATION_KEY)
    assert generation() >= first


def test_audit_entries_are_append_only(agency, sector, admin_user):
    new_draft(agency, sector, admin_user)
    entry = CatalogAuditEntry.objects.get()
    entry.note = "changed"
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
