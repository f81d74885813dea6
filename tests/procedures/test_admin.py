"""The catalog in the Django admin: drafts editable, published read-only, import/export, audit."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from procedures.importexport.columns import COLUMNS
from procedures.models import AuditAction, CatalogAuditEntry, ProcedureVersion, VersionState
from tests.factories import AgencyFactory, UserFactory
from tests.procedures.factories import SectorFactory, VersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_published_versions_and_their_inlines_are_read_only(admin_client):
    version = VersionFactory()
    url = f"/admin/procedures/procedureversion/{version.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="name"' not in page  # shown, not editable
    assert 'name="channels-0-processing_time"' not in page
    admin_client.post(url, {"name": "Sửa lén"})
    version.refresh_from_db()
    assert version.name != "Sửa lén"


def test_a_draft_is_edited_in_the_admin_and_the_edit_is_audited(admin_client):
    draft = VersionFactory(draft=True, name="Tên cũ")
    url = f"/admin/procedures/procedureversion/{draft.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="name"' in page and 'name="channels-0-processing_time"' in page
    data = _form_data(page)
    data["name"] = "Tên mới"
    response = admin_client.post(url, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.formset.errors for f in response.context["inline_admin_formsets"]],
    )
    draft.refresh_from_db()
    assert draft.name == "Tên mới"
    assert "ten moi" in draft.search_text
    entry = CatalogAuditEntry.objects.get(action=AuditAction.UPDATE_DRAFT)
    assert entry.changes["name"] == {"old": "Tên cũ", "new": "Tên mới"}


def test_publish_and_withdraw_actions_go_through_the_services(admin_client):
    old = VersionFactory()
    draft = VersionFactory(draft=True, procedure=old.procedure, number=2)
    admin_client.post(
        "/admin/procedures/procedureversion/",
        {"action": "publish_versions", "_selected_action": [draft.pk, old.pk]},
    )
    draft.refresh_from_db()
    old.refresh_from_db()
    assert draft.state == VersionState.PUBLISHED and old.state == VersionState.SUPERSEDED
    assert CatalogAuditEntry.objects.filter(action=AuditAction.PUBLISH, version=draft).exists()
    admin_client.post(
        "/admin/procedures/procedure/",
        {"action": "withdraw_procedures", "_selected_action": [draft.procedure_id]},
    )
    draft.refresh_from_db()
    assert draft.state == VersionState.WITHDRAWN


def test_the_audit_log_cannot_be_added_changed_or_deleted(admin_client):
    VersionFactory(draft=True)
    from procedures import services

    services.publish(ProcedureVersion.objects.get())
    entry = CatalogAuditEntry.objects.get()
    assert admin_client.get("/admin/procedures/catalogauditentry/").status_code == 200
    assert admin_client.get("/admin/procedures/catalogauditentry/add/").status_code == 403
    page = admin_client.get(f"/admin/procedures/catalogauditentry/{entry.pk}/change/")
    assert (
        page.status_code == 200 and 'type="submit"' not in page.content.decode().split("<form")[-1]
    )
    assert (
        admin_client.post(f"/admin/procedures/catalogauditentry/{entry.pk}/delete/").status_code
        == 403
    )
    assert CatalogAuditEntry.objects.count() == 1


def test_import_page_previews_then_confirms(admin_client):
    AgencyFactory(code="H36.02")
    SectorFactory(code="LLTP")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS))
    writer.writeheader()
    writer.writerow(
        {
            **dict.fromkeys(COLUMNS, ""),
            "code": "LD.1",
            "name": "Cấp phiếu",
            "sectors": "LLTP",
            "gov_level": "province",
            "service_level": "2",
            "implementing_agency": "H36.02",
            "direct_time": "10",
        }
    )
    upload = SimpleUploadedFile("catalog.csv", buffer.getvalue().encode(), "text/csv")
    preview = admin_client.post(
        "/admin/procedures/procedure/import/", {"file": upload, "publish": "on"}
    )
    html = preview.content.decode()
    assert "Thêm thủ tục mới" in html and "LD.1" in html
    # The changed fields by their Vietnamese column names, not the file's internal ones.
    changed = re.search(r"<td>Thêm thủ tục mới</td><td>([^<]*)</td>", html)[1]
    assert "Tên thủ tục" in changed and "Cơ quan thực hiện" in changed
    assert "Cách thức thực hiện, thời hạn, phí và lệ phí" in changed
    assert "implementing_agency" not in changed and "channels" not in changed
    assert not ProcedureVersion.objects.exists()
    token = re.search(r'name="token" value="([0-9a-f]{32})"', html)[1]
    done = admin_client.post(
        "/admin/procedures/procedure/import/",
        {"token": token, "filename": "catalog.csv", "publish": "1"},
    )
    assert done.status_code == 302
    assert ProcedureVersion.objects.published().get().name == "Cấp phiếu"
    again = admin_client.post(
        "/admin/procedures/procedure/import/",
        {"token": token, "filename": "catalog.csv", "publish": "1"},
    )
    assert again.status_code == 302  # the stored upload is gone: nothing imported twice
    assert ProcedureVersion.objects.count() == 1


def test_import_page_lists_every_problem(admin_client):
    upload = SimpleUploadedFile("bad.csv", b"code,name\n1,x\n", "text/csv")
    html = admin_client.post(
        "/admin/procedures/procedure/import/", {"file": upload}
    ).content.decode()
    assert "Tệp bị từ chối" in html and "Thiếu cột bắt buộc" in html
    # Each problem names the column in Vietnamese, with the header to look for in the file.
    assert "<td>Cơ quan thực hiện (<code>implementing_agency</code>)</td>" in html
    assert "<td>Phí, lệ phí (đồng) – trực tuyến (<code>online_fee_vnd</code>)</td>" in html


def test_export_buttons(admin_client):
    VersionFactory(procedure__code="E.1", sectors=[SectorFactory(code="HT")])
    csv_response = admin_client.get("/admin/procedures/procedure/export/csv/")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert b"E.1" in csv_response.content
    xlsx = admin_client.get("/admin/procedures/procedure/export/xlsx/")
    assert xlsx.content.startswith(b"PK")


def test_non_staff_cannot_reach_the_import_page(client):
    client.force_login(UserFactory())
    response = client.get("/admin/procedures/procedure/import/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def _form_data(page: str) -> dict:
    """The values of the admin change form as a browser would submit them."""
    data = {}
    for name, value in re.findall(r'<input[^>]*\sname="([^"]+)"[^>]*value="([^"]*)"', page):
        data.setdefault(name, value)
    for name in re.findall(r'<input[^>]*type="checkbox"[^>]*\sname="([^"]+)"[^>]*checked', page):
        data[name] = "on"
    for tag, name, body in re.findall(
        r'(<select[^>]*?\sname="([^"]+)"[^>]*>)(.*?)</select>', page, re.S
    ):
        selected = re.findall(r'<option value="([^"]*)"[^>]*selected', body)
        if " multiple" in tag:
            data[name] = selected
        else:
            data[name] = selected[0] if selected else ""
    for name, body in re.findall(
        r'<textarea[^>]*?\sname="([^"]+)"[^>]*>(.*?)</textarea>', page, re.S
    ):
        data[name] = body.strip()
    data.pop("csrfmiddlewaretoken", None)
    return {k: v for k, v in data.items() if not k.startswith("_")}
