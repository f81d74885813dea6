"""Templates are data an administrator edits without a deploy (numbering included: the 2025
rules renumbered the forms), rendered in a sandbox that always escapes citizens' text."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from dossiers.documents import context as ctx
from dossiers.documents import seed_templates, services
from dossiers.documents.forms_registry import FORMS
from dossiers.documents.sandbox import check_body, render_body
from dossiers.models import EventAction
from dossiers.models_documents import DocumentTemplate, GeneratedDocument
from tests.dossiers.conftest import file_walk_in
from tests.dossiers.documents.factories import document_text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def receipts(dossier):
    return GeneratedDocument.objects.filter(dossier=dossier, kind="receipt")


def test_seeding_is_idempotent():
    assert seed_templates() == len(FORMS) == 7
    assert seed_templates() == 0
    active = DocumentTemplate.objects.filter(is_active=True)
    assert sorted(active.values_list("form_key", flat=True)) == sorted(FORMS)
    receipt = active.get(form_key="receipt")
    assert (receipt.version, receipt.number_label) == (1, "Mẫu số 01")
    assert receipt.body == FORMS["receipt"].default_body()


def test_an_edited_template_changes_the_next_pdf_only(catalog, clock, run_on_commit):
    seed_templates()
    first = run_on_commit(file_walk_in, catalog)
    old = receipts(first).get()
    body = (
        FORMS["receipt"]
        .default_body()
        .replace("đã tiếp nhận hồ sơ của:", "đã tiếp nhận (theo mẫu sửa đổi năm 2025) hồ sơ của:")
    )
    edited = services.save_template_version(
        form_key="receipt",
        number_label="Mẫu số 01/TTHC",
        title="GIẤY TIẾP NHẬN HỒ SƠ, HẸN TRẢ KẾT QUẢ",
        body=body,
        user=UserFactory(),
    )
    assert edited.version == 2
    assert DocumentTemplate.objects.get(form_key="receipt", version=1).is_active is False

    second = run_on_commit(file_walk_in, catalog)
    new = receipts(second).get()
    assert new.template == edited and new.number_label == "Mẫu số 01/TTHC"
    text = document_text(new)
    assert "theo mẫu sửa đổi năm 2025" in text
    assert "Mẫu số 01/TTHC" in text and "GIẤY TIẾP NHẬN HỒ SƠ, HẸN TRẢ KẾT QUẢ" in text
    # The receipt issued before is immutable and keeps its version.
    assert old.template.version == 1
    assert "theo mẫu sửa đổi" not in document_text(old)


def test_without_any_template_row_the_file_default_is_used(catalog, clock, run_on_commit):
    DocumentTemplate.objects.all().delete()
    dossier = run_on_commit(file_walk_in, catalog)
    receipt = receipts(dossier).get()
    assert receipt.template is None and receipt.number_label == "Mẫu số 01"


@pytest.mark.parametrize(
    "body",
    [
        "{% if %}",  # syntax
        "{{ applicant.name|safe }}",  # no way to turn escaping off
        "{% autoescape off %}{{ applicant.name }}{% endautoescape %}",
        "{% load static %}",  # no libraries
        "{% debug %}",
        '{% include "../../base.html" %}',  # only the forms' own files
        '{% include "/etc/passwd" %}',
        '{% extends "base.html" %}',
    ],
)
def test_unsafe_or_broken_templates_are_refused(body):
    with pytest.raises(ValidationError) as error:
        services.save_template_version(form_key="receipt", number_label="x", title="y", body=body)
    assert "Mẫu không hợp lệ" in str(error.value)
    assert not DocumentTemplate.objects.filter(number_label="x").exists()


def test_the_forms_own_includes_and_filters_work():
    check_body('{% include "_header.html" %}{{ issued_on|ngay }}')
    html = render_body(
        "{{ name }} {{ on|ngay }} {{ amount|vnd }}",
        {"name": "<b>Lê</b>", "on": datetime.date(2026, 11, 28), "amount": 1500000},
    )
    assert html == "&lt;b&gt;Lê&lt;/b&gt; ngày 28 tháng 11 năm 2026 1.500.000 đồng"


@pytest.mark.parametrize(
    ("day", "written"),
    [
        ((2026, 11, 28), "ngày 28 tháng 11 năm 2026"),
        ((2026, 1, 5), "ngày 05 tháng 01 năm 2026"),  # Nghị định 30/2020: 0 before day < 10
        ((2026, 2, 14), "ngày 14 tháng 02 năm 2026"),  # … and before months 1 and 2
        ((2025, 3, 3), "ngày 03 tháng 3 năm 2025"),
    ],
)
def test_dates_are_written_out_in_vietnamese(day, written):
    from dossiers.documents.sandbox import place_and_date, written_date

    assert written_date(datetime.date(*day)) == written
    assert place_and_date("Đà Lạt", datetime.date(*day)) == f"Đà Lạt, {written}"


def _walk(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)
    else:
        yield value


def test_templates_see_plain_data_never_models(catalog, clock, run_on_commit):
    dossier = run_on_commit(file_walk_in, catalog)
    event = dossier.events.get(action=EventAction.RECEIVE)
    data = ctx.receipt_context(None, dossier, event)
    leaves = list(_walk(data))
    assert not [v for v in leaves if isinstance(v, models.Model | models.QuerySet)]
    assert render_body("{{ dossier.delete }}{{ applicant.save }}", data) == ""


def test_admin_edits_save_a_new_version(client, catalog):
    seed_templates()
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    current = DocumentTemplate.objects.get(form_key="refusal", is_active=True)
    url = f"/admin/dossiers/documenttemplate/{current.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "form_key": "refusal",
        "number_label": "Mẫu số 03 (mới)",
        "title": current.title,
        "body": current.body + "<p>Ghi chú mới</p>",
        "note": "Sửa theo quy định 2025",
    }
    response = client.post(url, form)
    assert response.status_code == 302, response.content[:2000]
    versions = DocumentTemplate.objects.filter(form_key="refusal").order_by("version")
    assert [(t.version, t.is_active) for t in versions] == [(1, False), (2, True)]
    assert versions.last().created_by == admin
    assert versions.first().number_label == "Mẫu số 03"  # the old row is untouched

    broken = client.post(url, {**form, "body": "{{ reason|safe }}"})
    assert broken.status_code == 200
    assert "Mẫu không hợp lệ" in broken.content.decode()
    assert DocumentTemplate.objects.filter(form_key="refusal").count() == 2

    add = client.get("/admin/dossiers/documenttemplate/add/?form_key=apology")
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in add.content.decode()
