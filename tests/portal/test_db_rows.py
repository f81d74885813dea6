"""``portal.db.rows.insert_new`` writes the row Django's own ``save()`` writes, in one INSERT."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dossiers.models import Attachment, AttachmentKind, DossierEvent, EventAction
from portal.db.rows import insert_new
from tests.dossiers.factories import DossierFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SKIP = {"id", "storage_name", "sha256", "created_at"}


def attachment(dossier, name: str, **fields) -> Attachment:
    values = {
        "dossier": dossier,
        "kind": AttachmentKind.FILING,
        "document_code": "TK",
        "document_name": "Tờ khai",
        "original_name": "tờ khai.pdf",
        "storage_name": name,
        "content_type": "application/pdf",
        "size": 1234,
        "sha256": hashlib.sha256(name.encode()).hexdigest(),
        "signature_report": {"valid": True, "signers": ["Nguyễn Văn A"]},
    }
    return Attachment(**(values | fields))


def row(model, pk) -> dict:
    values = model.objects.filter(pk=pk).values().get()
    return {k: v for k, v in values.items() if k not in SKIP}


@pytest.fixture
def dossier():
    return DossierFactory()


def test_the_rows_are_those_bulk_create_writes(dossier):
    mine = [attachment(dossier, "a/1"), attachment(dossier, "a/2", signature_report=None)]
    django = [attachment(dossier, "b/1"), attachment(dossier, "b/2", signature_report=None)]
    with CaptureQueriesContext(connection) as queries:
        insert_new(mine)
    Attachment.objects.bulk_create(django)
    assert len(queries) == 1
    assert all(a.pk and not a._state.adding and a._state.db == "default" for a in mine)
    for ours, theirs in zip(mine, django, strict=True):
        assert row(Attachment, ours.pk) == row(Attachment, theirs.pk)
    stored = Attachment.objects.get(pk=mine[0].pk)
    assert stored.signature_report == {"valid": True, "signers": ["Nguyễn Văn A"]}
    assert stored.created_at is not None and mine[0].created_at == stored.created_at  # auto_now_add


def test_an_event_row_is_the_one_save_writes_with_its_signals(dossier):
    seen = []

    def record(sender, instance, **kwargs):
        seen.append((kwargs.get("created"), instance.pk is None))

    fields = {
        "dossier": dossier,
        "at": timezone.now(),
        "action": EventAction.SUBMIT,
        "from_status": None,
        "to_status": 1,
        "note": "Ghi chú có dấu",
        "payload": {"channel": "online", "n": [1, 2]},
        "attachment_ids": [3, 1],
        "step_due_at": timezone.now() + datetime.timedelta(days=3),
        "is_public": False,
    }
    pre_save.connect(record, sender=DossierEvent, dispatch_uid="test-rows-pre")
    post_save.connect(record, sender=DossierEvent, dispatch_uid="test-rows-post")
    try:
        ours = DossierEvent(**fields)
        insert_new([ours], signals=True)
        theirs = DossierEvent.objects.create(**fields)
    finally:
        pre_save.disconnect(sender=DossierEvent, dispatch_uid="test-rows-pre")
        post_save.disconnect(sender=DossierEvent, dispatch_uid="test-rows-post")
    assert seen == [(None, True), (True, False)] * 2  # pre_save before, post_save created
    assert row(DossierEvent, ours.pk) == row(DossierEvent, theirs.pk)


def test_signals_are_sent_only_when_asked(dossier):
    seen = []
    post_save.connect(lambda **kw: seen.append(1), sender=Attachment, dispatch_uid="test-rows")
    try:
        insert_new([attachment(dossier, "c/1")])
    finally:
        post_save.disconnect(sender=Attachment, dispatch_uid="test-rows")
    assert seen == []


def test_values_of_other_types_take_the_fields_conversion(dossier):
    naive = datetime.datetime(2026, 1, 2, 3, 4, 5)
    event = DossierEvent(
        dossier=dossier, at=timezone.now(), action="submit", to_status="1", step_due_at=naive
    )
    item = attachment(dossier, "d/1", size="4321")
    with pytest.warns(RuntimeWarning, match="naive datetime"):  # Django's own warning
        insert_new([event])
    insert_new([item])
    stored = DossierEvent.objects.get(pk=event.pk)
    assert stored.to_status == 1
    assert stored.step_due_at == timezone.make_aware(naive)
    assert Attachment.objects.get(pk=item.pk).size == 4321


def test_a_reserved_primary_key_is_used_as_it_is(dossier):
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('dossiers_attachment', 'id'))")
        reserved = cursor.fetchone()[0]
    item = attachment(dossier, "e/1")
    item.pk = reserved
    insert_new([item])
    assert Attachment.objects.get(pk=reserved).storage_name == "e/1"


def test_a_related_object_saved_after_assignment_gives_its_id(dossier):
    user = UserFactory.build()
    item = attachment(dossier, "f/1", uploaded_by=user)
    user.save()  # after the assignment, as save() allows
    insert_new([item])
    assert Attachment.objects.get(pk=item.pk).uploaded_by_id == user.pk


def test_what_it_does_not_take(dossier):
    saved = attachment(dossier, "g/1")
    insert_new([saved])
    with pytest.raises(TypeError):
        insert_new([saved])  # already saved
    with pytest.raises(TypeError):
        insert_new([attachment(dossier, "g/2"), DossierEvent(dossier=dossier)])
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_new([attachment(dossier, "g/3", uploaded_by=UserFactory.build())])


def test_a_statement_along_with_the_insert_runs_in_the_same_round_trip(dossier):
    from procedures.models import Procedure

    procedure = dossier.procedure
    before = Procedure.objects.get(pk=procedure.pk).filing_count
    update = (
        "UPDATE procedures_procedure SET filing_count = filing_count + 1 WHERE id = %s",
        [procedure.pk],
    )
    with CaptureQueriesContext(connection) as queries:
        insert_new([attachment(dossier, "h/1")], along_with=update)
    assert len(queries) == 1 and queries[0]["sql"].startswith("WITH along_with AS (UPDATE")
    assert Procedure.objects.get(pk=procedure.pk).filing_count == before + 1
    assert Attachment.objects.filter(storage_name="h/1").exists()
