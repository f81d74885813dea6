"""Supplement requested (2, 4 → 5, clock stopped) and supplied by the owner (5 → 4)."""

import pytest
from django.core.files.storage import storages

from dossiers.errors import InvalidState, NotAllowed, NotFound, ValidationError
from dossiers.models import Attachment, AttachmentKind, Status
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import Catalog, exe_renamed, pdf

pytestmark = pytest.mark.django_db


def request(catalog, dossier, **payload):
    payload = {"reason": "Thiếu bản sao", "documents": ["Bản sao CCCD"], **payload}
    return transition(dossier.code, "request-supplement", catalog.specialist, **payload)


def test_request_stops_the_clock_and_supplement_adds_the_paused_time(catalog, clock, processing):
    due = processing.due_at  # Thursday 08:00
    dossier = request(catalog, processing)
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    assert dossier.paused_at == clock.now
    event = dossier.events.last()
    assert event.payload == {"reason": "Thiếu bản sao", "documents": ["Bản sao CCCD"]}

    clock.advance(days=1)  # Tuesday 08:00: 8 working hours stopped
    dossier = transition(
        dossier.code, "supplement", catalog.citizen, files={"to-khai": [pdf(extra=b"v2")]}
    )
    assert dossier.status == Status.PROCESSING
    assert dossier.paused_at is None
    assert dossier.paused_hours == 8
    assert dossier.due_at.isoformat().startswith("2025-03-07T08:00")
    assert dossier.due_at > due
    assert dossier.original_due_at == dossier.due_at == dossier.step_due_at
    supplement = Attachment.objects.get(kind=AttachmentKind.SUPPLEMENT)
    assert dossier.events.last().attachment_ids == [supplement.pk]


def test_request_needs_reason_and_documents(catalog, processing):
    with pytest.raises(ValidationError) as error:
        transition(processing.code, "request-supplement", catalog.specialist, reason="")
    assert set(error.value.message_dict) == {"reason", "documents"}


def test_supplement_needs_a_file_of_an_accepted_type(catalog, processing):
    dossier = request(catalog, processing)
    with pytest.raises(ValidationError):
        transition(dossier.code, "supplement", catalog.citizen, files={})
    with pytest.raises(ValidationError):
        transition(dossier.code, "supplement", catalog.citizen, files={"to-khai": [exe_renamed()]})
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT_REQUESTED


def test_same_supplement_uploaded_twice_is_stored_once(catalog, submitted):
    # The filed document itself, uploaded again as supplement: same content, same paper.
    transition(submitted.code, "receive", catalog.desk)
    dossier = request(catalog, submitted)
    transition(
        dossier.code,
        "supplement",
        catalog.citizen,
        files={"to-khai": [pdf(), pdf("copy.pdf")], "giay-khac": [pdf(extra=b"new")]},
    )
    assert Attachment.objects.filter(dossier=dossier).count() == 2
    names = storages["private"].listdir("dossiers")[0]
    assert names  # stored under dated folders


def test_only_the_owner_or_the_receiving_desk_supplements(catalog, processing):
    dossier = request(catalog, processing)
    with pytest.raises(NotAllowed):
        transition(dossier.code, "supplement", catalog.specialist, files={"to-khai": [pdf()]})
    stranger = Catalog().citizen
    with pytest.raises(NotFound):
        transition(dossier.code, "supplement", stranger, files={"to-khai": [pdf()]})


def test_supplement_when_not_requested_is_409(catalog, submitted):
    with pytest.raises(InvalidState):
        transition(submitted.code, "supplement", catalog.citizen, files={"to-khai": [pdf()]})


def test_citizen_cannot_request_a_supplement(catalog):
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)
    with pytest.raises(NotAllowed):
        transition(dossier.code, "request-supplement", catalog.citizen, reason="x", documents=["y"])
