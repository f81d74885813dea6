"""Rendering tasks: the documents queue with a real worker, failures counted and retried by the
sweeper up to a cap (then kept as the record), missing PDFs caught up by the sweeper."""

import datetime
import time

import pytest

from dossiers.document_tasks import render_event_document, render_missing_documents
from dossiers.documents import rendering, services
from dossiers.models import EventAction
from dossiers.models_documents import DocumentFailure, GeneratedDocument
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online, file_walk_in
from tests.dossiers.documents.factories import document_text
from tests.dossiers.factories import Catalog


def test_the_receipt_is_rendered_by_a_worker_on_the_documents_queue(documents_worker):
    """Committed for real: on commit → signal → task routed to ``documents`` → the worker,
    which listens to nothing else, renders Mẫu 01."""
    catalog = Catalog()
    dossier = file_online(catalog, applicant_name="Đặng Văn Khoa")
    transition(dossier.code, "receive", catalog.desk)
    deadline = time.monotonic() + 60
    while not GeneratedDocument.objects.filter(dossier=dossier, kind="receipt").exists():
        assert time.monotonic() < deadline, documents_worker.read_text()[-3000:]
        time.sleep(0.2)
    receipt = GeneratedDocument.objects.get(dossier=dossier, kind="receipt")
    assert "Đặng Văn Khoa" in document_text(receipt)
    log = documents_worker.read_text()
    assert "dossiers.document_tasks.render_event_document" in log


test_the_receipt_is_rendered_by_a_worker_on_the_documents_queue = pytest.mark.celery_worker(
    pytest.mark.django_db(transaction=True)(
        test_the_receipt_is_rendered_by_a_worker_on_the_documents_queue
    )
)


@pytest.fixture
def broken_renderer(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("WeasyPrint exploded")

    monkeypatch.setattr(services, "render_form_pdf", fail)
    return monkeypatch


@pytest.mark.django_db
def test_failures_are_counted_retried_by_the_sweeper_then_kept(
    catalog, clock, settings, run_on_commit, broken_renderer
):
    settings.DOCUMENTS_MAX_ATTEMPTS = 3
    dossier = run_on_commit(file_walk_in, catalog)  # the task ran and failed once
    event = dossier.events.get(action=EventAction.RECEIVE)
    failure = DocumentFailure.objects.get(source_event=event, kind="receipt")
    assert failure.attempts == 1 and "WeasyPrint exploded" in failure.last_error
    clock.advance(minutes=10)
    assert render_missing_documents() == 1
    assert render_missing_documents() == 1
    failure.refresh_from_db()
    assert failure.attempts == 3
    assert render_missing_documents() == 0  # given up: the row stays as the record
    assert not GeneratedDocument.objects.filter(dossier=dossier).exists()

    broken_renderer.undo()
    assert render_event_document.delay(event.pk, "receipt").get() is not None
    assert not DocumentFailure.objects.filter(source_event=event).exists()


@pytest.mark.django_db
def test_the_sweeper_renders_what_was_never_enqueued(catalog, clock):
    online = file_online(catalog)  # no on-commit hooks ran in these: nothing rendered
    transition(online.code, "receive", catalog.desk)
    refused = file_online(catalog)
    transition(refused.code, "refuse", catalog.desk, reason="Sai thẩm quyền")
    walk_in = file_walk_in(catalog)
    assert not GeneratedDocument.objects.exists()
    assert render_missing_documents() == 0  # too recent: the task may still be on its way
    clock.advance(minutes=6)
    assert render_missing_documents() == 3
    kinds = sorted(GeneratedDocument.objects.values_list("dossier__code", "kind"))
    assert kinds == sorted(
        [(online.code, "receipt"), (refused.code, "refusal"), (walk_in.code, "receipt")]
    )
    assert render_missing_documents() == 0


@pytest.mark.django_db
def test_the_sweeper_ignores_events_older_than_its_window(catalog, clock):
    transition(file_online(catalog).code, "receive", catalog.desk)
    clock.advance(days=8)
    assert render_missing_documents(days=7) == 0
    assert render_missing_documents(days=9) == 1


@pytest.mark.django_db
def test_a_render_that_lost_the_race_keeps_the_winner(catalog, clock, monkeypatch):
    dossier = file_walk_in(catalog)
    event = dossier.events.get(action=EventAction.RECEIVE)
    winner = services.render_for_event(event.pk)
    # A second render that did not see the winner (e.g. another worker at the same moment).
    monkeypatch.setattr(services, "_existing", lambda *args: None)
    again = services.render_for_event(event.pk)
    assert again == winner
    assert GeneratedDocument.objects.filter(dossier=dossier).count() == 1
    from dossiers.attachments import private_storage

    _dirs, files = private_storage().listdir(f"documents/{datetime.date(2025, 3, 3):%Y/%m}")
    assert len(files) == 1  # the loser's file was deleted


@pytest.mark.django_db
def test_generated_documents_are_immutable(catalog, clock, run_on_commit):
    from django.db import IntegrityError, InternalError, transaction

    from dossiers.models import AppendOnlyError

    dossier = run_on_commit(file_walk_in, catalog)
    document = GeneratedDocument.objects.get(dossier=dossier)
    with pytest.raises(AppendOnlyError):
        document.save()
    with pytest.raises(AppendOnlyError):
        document.delete()
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        GeneratedDocument.objects.filter(pk=document.pk).update(sha256="0" * 64)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        GeneratedDocument.objects.filter(pk=document.pk).delete()
    assert rendering  # the module under test stays imported for monkeypatching
