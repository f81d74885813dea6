"""Audit and privacy: the history is append-only on every path (model, bulk, raw SQL, admin);
every admin change of the catalog and of memberships is logged; identity and phone numbers
are masked in the logs; a citizen can download their own data, and only theirs."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from dossiers.models import AppendOnlyError, DossierEvent
from dossiers.workflow import transition
from portal.logging import MaskPersonalDataFilter
from portal.models import Role, StaffMembership
from procedures.models import CatalogAuditEntry, Sector
from tests.dossiers.factories import Catalog, pdf
from tests.security.conftest import World

pytestmark = pytest.mark.django_db


# --- append-only history ----------------------------------------------------------------------


def test_history_rows_refuse_every_update_and_delete_path(world_media):
    event = DossierEvent.objects.filter(dossier=world_media.dossier).first()
    event.note = "sửa lịch sử"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    for attempt in (
        lambda: DossierEvent.objects.filter(pk=event.pk).update(note="bulk"),
        lambda: DossierEvent.objects.filter(pk=event.pk).delete(),
        lambda: connection.cursor().execute(
            "UPDATE dossiers_dossierevent SET note = 'raw' WHERE id = %s", [event.pk]
        ),
        lambda: connection.cursor().execute(
            "DELETE FROM dossiers_dossierevent WHERE id = %s", [event.pk]
        ),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert DossierEvent.objects.get(pk=event.pk).note != "raw"


def test_the_admin_offers_no_way_to_change_or_delete_history(world_media):
    world = world_media
    root = world.client("superuser")
    assert DossierEvent not in admin.site._registry  # only as read-only rows of a dossier
    dossier_admin = admin.site._registry[type(world.dossier)]
    request = type("R", (), {"user": world.users["superuser"]})()
    for inline in dossier_admin.get_inline_instances(request, world.dossier):
        if inline.model is DossierEvent:
            assert not inline.has_change_permission(request, world.dossier)
            assert not inline.has_add_permission(request, world.dossier)
            assert not inline.can_delete
    change = reverse("admin:dossiers_dossier_change", args=[world.dossier.pk])
    page = root.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert root.post(change, {"status": 10}).status_code == 403
    delete = reverse("admin:dossiers_dossier_delete", args=[world.dossier.pk])
    assert root.post(delete, {"post": "yes"}).status_code == 403
    world.dossier.refresh_from_db()
    assert world.dossier.status != 10


@pytest.mark.parametrize("model", [CatalogAuditEntry, LogEntry])
def test_audit_logs_are_read_only_in_the_admin(world_media, model):
    model_admin = admin.site._registry[model]
    request = type("R", (), {"user": world_media.users["superuser"]})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert world_media.client("superuser").get(url).status_code == 200


# --- admin changes are logged ---------------------------------------------------------------


def _log(obj, flag: int) -> LogEntry | None:
    return LogEntry.objects.filter(
        object_id=str(obj.pk), content_type__model=obj._meta.model_name, action_flag=flag
    ).first()


def test_membership_changes_through_the_admin_are_logged(world_media):
    world: World = world_media
    root = world.client("superuser")
    target = world.users["other_citizen"]
    added = root.post(
        reverse("admin:portal_staffmembership_add"),
        {
            "user": target.pk,
            "agency": world.agency.pk,
            "role": Role.LEADER,
            "title": "Phó chủ tịch",
            "is_active": "on",
        },
    )
    assert added.status_code == 302, added.content[:2000]
    membership = StaffMembership.objects.get(user=target, agency=world.agency)
    entry = _log(membership, ADDITION)
    assert entry is not None and entry.user == world.users["superuser"]

    changed = root.post(
        reverse("admin:portal_staffmembership_change", args=[membership.pk]),
        {"user": target.pk, "agency": world.agency.pk, "role": Role.SPECIALIST, "title": ""},
    )
    assert changed.status_code == 302
    entry = _log(membership, CHANGE)
    assert (
        entry is not None
        and "role" in entry.change_message.lower()
        or "Vai trò" in str(entry.get_change_message())
    )

    deleted = root.post(
        reverse("admin:portal_staffmembership_delete", args=[membership.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert LogEntry.objects.filter(
        object_id=str(membership.pk), action_flag=DELETION, content_type__model="staffmembership"
    ).exists()


def test_catalog_changes_through_the_admin_are_logged_and_audited(world_media):
    world = world_media
    root = world.client("superuser")
    sector = Sector.objects.get(code="SEC-S")
    response = root.post(
        reverse("admin:procedures_sector_change", args=[sector.pk]),
        {"code": "SEC-S", "name": "Hộ tịch (sửa)"},
    )
    assert response.status_code == 302
    assert _log(sector, CHANGE) is not None

    # A catalog action (new draft from the published version): the field-level catalog audit.
    procedure = world.version.procedure
    before = CatalogAuditEntry.objects.filter(procedure=procedure).count()
    action = root.post(
        reverse("admin:procedures_procedure_changelist"),
        {"action": "create_drafts", "_selected_action": [procedure.pk], "index": 0},
    )
    assert action.status_code == 302
    audit = CatalogAuditEntry.objects.filter(procedure=procedure).order_by("-id")
    assert audit.count() == before + 1
    assert audit.first().actor == world.users["superuser"]


# --- personal data in logs ------------------------------------------------------------------

CCCD, PHONE, INTL_PHONE = "068123456789", "0912345678", "+84912345678"


@pytest.fixture
def console_output():
    """The configured console handler (settings.LOGGING) writing into a buffer."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, MaskPersonalDataFilter) for f in h.filters)
    ]
    assert handlers, "no log handler carries MaskPersonalDataFilter"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)


def test_every_configured_handler_masks_personal_data():
    from django.conf import settings

    for name, handler in settings.LOGGING["handlers"].items():
        assert "mask_personal_data" in handler.get("filters", []), name


def test_identity_and_phone_numbers_are_masked_in_real_log_lines(console_output):
    logger = logging.getLogger("dossiers.filing")
    logger.warning("Nộp hồ sơ: CCCD %s, điện thoại %s", CCCD, PHONE)
    logger.warning("Số quốc tế %s, CCCD liền chữ cccd:%s.", INTL_PHONE, CCCD)
    logger.warning("Dữ liệu %s", {"applicant_id_number": CCCD, "applicant_phone": PHONE})
    try:
        raise ValueError(f"Không tìm thấy công dân {CCCD} / {PHONE}")
    except ValueError:
        logger.exception("Lỗi khi nộp hồ sơ")
    text = console_output.getvalue()
    for raw in (CCCD, PHONE, INTL_PHONE, "912345678"):
        assert raw not in text, f"{raw} reached the log:\n{text}"
    assert "068******789" in text
    assert "091*****678" in text or "09*****678" in text


def test_a_request_that_fails_logs_no_personal_data(world_media, console_output, settings):
    """A crash while tracking by phone: the request log line and traceback stay masked."""
    from django.test import Client

    def crash(*args, **kwargs):
        raise RuntimeError(f"tra cứu thất bại cho {PHONE}")

    import dossiers.api.views as views

    original = views.track
    views.track = crash
    try:
        client = Client(raise_request_exception=False)
        response = client.get(reverse("api-track"), {"code": "X-1", "phone": PHONE})
    finally:
        views.track = original
    assert response.status_code == 500
    assert response.json()["detail"]
    text = console_output.getvalue()
    assert "tra cứu thất bại" in text
    assert PHONE not in text


# --- export my data -------------------------------------------------------------------------


def test_a_citizen_downloads_their_own_data_and_nothing_else(world_media):
    world = world_media
    transition(
        world.dossier.code,
        "request-supplement",
        world.users["desk"],
        reason="Bổ sung bản sao",
        documents=["Tờ khai"],
        note="GHI-CHU-NOI-BO",
    )
    response = world.client("owner").get(reverse("my-data"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    data = json.loads(text)
    assert data["profile"]["username"] == "sec.owner"
    assert data["profile"]["citizen_profile"]["citizen_id"]
    assert [d["code"] for d in data["dossiers"]] == [world.dossier.code]
    mine = data["dossiers"][0]
    assert mine["applicant"]["id_number"] == world.dossier.applicant_id_number
    assert mine["files"] and "storage_name" not in mine["files"][0]
    assert [step["action"] for step in mine["history"]][:2] == ["submit", "receive"]
    assert mine["history"][-1]["reason"] == "Bổ sung bản sao"
    assert "ratings" in data
    for secret in ("GHI-CHU-NOI-BO", "password", world.hidden.code, world.hidden.applicant_name,
                   world.users["desk"].get_full_name()):  # fmt: skip
        assert secret not in text, secret


def test_my_data_needs_a_login_and_is_empty_for_an_account_without_dossiers(world_media):
    world = world_media
    anonymous = world.client("anonymous").get(reverse("my-data"))
    assert anonymous.status_code == 302
    data = world.client("upper_desk").get(reverse("my-data")).json()
    assert data["dossiers"] == [] and data["ratings"] == []
    assert data["profile"]["citizen_profile"] is None


def test_my_data_reads_a_constant_number_of_queries(django_assert_max_num_queries, client):
    catalog = Catalog()
    from tests.dossiers.conftest import file_online

    def fill(n: int) -> None:
        for _ in range(n):
            dossier = file_online(catalog, files={"to-khai": [pdf()]})
            transition(dossier.code, "receive", catalog.desk)

    client.force_login(catalog.citizen)
    fill(2)
    with django_assert_max_num_queries(12):
        assert len(client.get(reverse("my-data")).json()["dossiers"]) == 2
    fill(8)
    with django_assert_max_num_queries(12):
        assert len(client.get(reverse("my-data")).json()["dossiers"]) == 10
