"""Result ready (4 → 9, a PDF stored with its SHA-256) and returned (9 → 10)."""

import hashlib

import pytest

from dossiers.attachments import open_attachment
from dossiers.deadlines import timeliness
from dossiers.errors import InvalidState, NotAllowed, ValidationError
from dossiers.models import Attachment, AttachmentKind, Status
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import PDF_BYTES, Catalog, pdf, png

pytestmark = pytest.mark.django_db


def complete(catalog, dossier, **payload):
    payload = {"result_summary": "Cấp giấy khai sinh", "result_file": pdf("ket-qua.pdf"), **payload}
    return transition(dossier.code, "complete", catalog.leader, **payload)


def test_complete_stores_the_result_pdf(catalog, clock, processing):
    clock.advance(hours=4)
    dossier = complete(catalog, processing)
    assert dossier.status == Status.RESULT_READY
    assert dossier.completed_at == clock.now
    assert dossier.result_summary == "Cấp giấy khai sinh"
    result = Attachment.objects.get(dossier=dossier, kind=AttachmentKind.RESULT)
    assert result.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert result.original_name == "ket-qua.pdf"
    with open_attachment(result) as handle:
        assert handle.read() == PDF_BYTES
    assert dossier.events.last().attachment_ids == [result.pk]


def test_result_must_be_a_pdf(catalog, processing):
    with pytest.raises(ValidationError) as error:
        complete(catalog, processing, result_file=png())
    assert "result_file" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        complete(catalog, processing, result_file=None, result_summary="")
    assert {"result_summary"} <= set(error.value.message_dict)
    assert not Attachment.objects.filter(kind=AttachmentKind.RESULT).exists()


def test_only_the_leader_completes_and_only_from_processing(catalog, submitted, processing):
    with pytest.raises(NotAllowed):
        transition(
            processing.code, "complete", catalog.specialist, result_summary="x", result_file=pdf()
        )
    other = file_online(catalog)
    transition(other.code, "receive", catalog.desk)
    with pytest.raises(InvalidState):
        complete(catalog, other)


def test_return_at_the_desk_closes_the_dossier(catalog, clock, processing):
    dossier = complete(catalog, processing)
    clock.advance(days=1)
    dossier = transition(dossier.code, "return", catalog.desk, method="desk")
    assert dossier.status == Status.RETURNED
    assert dossier.returned_at == dossier.closed_at == clock.now
    assert dossier.return_method == "desk"
    assert timeliness(dossier) == "early"  # Tuesday, due Thursday


def test_return_needs_a_valid_method(catalog, processing):
    dossier = complete(catalog, processing)
    with pytest.raises(ValidationError):
        transition(dossier.code, "return", catalog.desk, method="drone")
    with pytest.raises(ValidationError):  # not a postal procedure
        transition(dossier.code, "return", catalog.desk, method="post")


def test_return_is_for_the_returning_desk(catalog, processing):
    dossier = complete(catalog, processing)
    with pytest.raises(NotAllowed):
        transition(dossier.code, "return", catalog.leader, method="desk")
    with pytest.raises(NotAllowed):
        transition(dossier.code, "return", catalog.citizen, method="desk")


def test_nothing_happens_after_return(catalog, processing):
    dossier = complete(catalog, processing)
    transition(dossier.code, "return", catalog.desk, method="desk")
    for action, user in [("withdraw", catalog.citizen), ("suspend", catalog.leader)]:
        with pytest.raises(InvalidState):
            transition(dossier.code, action, user, reason="x")


def test_postal_procedure_can_return_by_post():
    catalog = Catalog(postal_eligible=True)
    dossier = file_online(catalog, result_delivery="post", delivery_address="1 Hùng Vương")
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    complete(catalog, dossier)
    dossier = transition(dossier.code, "return", catalog.desk, method="post")
    assert dossier.return_method == "post"
