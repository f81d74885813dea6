"""The ``sign`` action (issue 8, items 4–5): the leader of the deciding agency signs the result,
a clerk adds the issuance signature, the signed PDF becomes the citizen's result (the original
kept), procedures flagged "result must be signed" are not returned unsigned; and the
specialist's ``submit-for-approval``."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.attachments import open_attachment
from dossiers.errors import InvalidState, NotAllowed, ValidationError
from dossiers.models import Attachment, AttachmentKind, Dossier, DossierEvent, Status
from dossiers.result_signing import SigningRefused, current_result
from dossiers.workflow import allowed_actions, transition
from portal.models import Role
from signatures.models import SignatureRecord
from signatures.sample_pdf import one_page_pdf
from signatures.verification import verify_pdf
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import Catalog
from tests.dossiers.web.conftest import client_for
from tests.factories import AgencyFactory, staff_user
from tests.signatures.conftest import test_pki  # noqa: F401  (session PKI fixture)
from tests.signatures.factories import register_signer, register_trust

pytestmark = pytest.mark.django_db

RESULT_PDF = one_page_pdf("GIAY KHAI SINH", "Ket qua giai quyet ho so")


def result_file(name: str = "ket-qua.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, RESULT_PDF, content_type="application/pdf")


class Signing:
    """A catalog whose leader and clerk hold certificates of a trusted test PKI."""

    def __init__(self, pki, *, must_sign: bool = True):
        self.catalog = Catalog(result_must_be_signed=must_sign)
        self.clerk = staff_user(self.catalog.agency, Role.CLERK, full_name="Hoàng Thị Lan")
        self.catalog.leader.full_name = "Đặng Văn Khoa"
        self.catalog.leader.save()
        register_trust(pki)
        self.leader_cert = register_signer(
            pki.leader,
            pki,
            self.catalog.leader,
            title="Phó Giám đốc Sở",
            agency=self.catalog.agency,
        )
        self.clerk_cert = register_signer(
            pki.clerk, pki, self.clerk, title="Văn thư", agency=self.catalog.agency
        )

    @property
    def leader(self):
        return self.catalog.leader

    def result_ready(self) -> Dossier:
        catalog = self.catalog
        dossier = file_online(catalog)
        transition(dossier.code, "receive", catalog.desk)
        transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
        return transition(
            dossier.code,
            "complete",
            catalog.leader,
            result_summary="Cấp giấy khai sinh",
            result_file=result_file(),
        )


@pytest.fixture
def signing(db, test_pki):  # noqa: F811
    return Signing(test_pki)


def stored_bytes(attachment: Attachment) -> bytes:
    with open_attachment(attachment) as handle:
        return handle.read()


def test_leader_signs_the_result_and_the_original_is_kept(signing):
    dossier = signing.result_ready()
    original = current_result(dossier)
    assert "sign" in allowed_actions(dossier, signing.leader)

    dossier = transition(dossier.code, "sign", signing.leader, note="Đồng ý ban hành")

    assert dossier.status == Status.RESULT_READY
    assert dossier.result_signed_at is not None and dossier.result_countersigned_at is None
    signed = current_result(dossier)
    original.refresh_from_db()
    assert signed.pk != original.pk and original.superseded_by_id == signed.pk
    assert signed.kind == AttachmentKind.RESULT and signed.original_name == "ket-qua.pdf"
    assert stored_bytes(original) == RESULT_PDF  # the unsigned original is still there
    report = verify_pdf(stored_bytes(signed))
    assert report.verdict == "valid" and len(report.signatures) == 1
    assert signed.signature_report["verdict"] == "valid"
    assert signed.signature_report["signatures"][0]["signer_name"] == "Đặng Văn Khoa"
    assert SignatureRecord.objects.filter(user=signing.leader).count() == 1

    event = DossierEvent.objects.filter(dossier=dossier).last()
    assert event.action == "sign" and event.actor_id == signing.leader.pk
    assert event.attachment_ids == [signed.pk]
    assert event.payload["role"] == "leader"
    assert event.payload["certificate_serial"] == signing.leader_cert.serial_number
    assert event.payload["certificate_subject"] == signing.leader_cert.subject
    assert signing.leader_cert.serial_number in event.note
    assert "Đồng ý ban hành" in event.note


def test_clerk_countersigns_and_both_signatures_verify(signing):
    dossier = signing.result_ready()
    transition(dossier.code, "sign", signing.leader)
    dossier = transition(dossier.code, "sign", signing.clerk)

    assert dossier.result_countersigned_at is not None
    final = current_result(dossier)
    report = verify_pdf(stored_bytes(final))
    assert [s.verdict for s in report.signatures] == ["valid", "valid"]
    assert {s.signer_name for s in report.signatures} == {"Đặng Văn Khoa", "Hoàng Thị Lan"}
    assert [s["verdict"] for s in final.signature_report["signatures"]] == ["valid", "valid"]
    # Three result files: the original, the leader's copy, the issued copy; one is current.
    results = Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT)
    assert results.count() == 3 and results.filter(superseded_by__isnull=True).count() == 1
    assert dossier.events.last().payload["role"] == "clerk"
    with pytest.raises(InvalidState):
        transition(dossier.code, "sign", signing.clerk)


def test_clerk_cannot_sign_before_the_leader_and_leader_signs_once(signing):
    dossier = signing.result_ready()
    assert "sign" not in allowed_actions(dossier, signing.clerk)
    with pytest.raises(InvalidState) as error:
        transition(dossier.code, "sign", signing.clerk)
    assert error.value.status_code == 409 and "lãnh đạo" in error.value.message
    transition(dossier.code, "sign", signing.leader)
    with pytest.raises(InvalidState):
        transition(dossier.code, "sign", signing.leader)


def test_flagged_procedure_is_not_returned_unsigned(signing):
    dossier = signing.result_ready()
    with pytest.raises(InvalidState) as error:
        transition(dossier.code, "return", signing.catalog.desk, method="desk")
    assert error.value.status_code == 409 and "ký số" in error.value.message
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RESULT_READY
    transition(dossier.code, "sign", signing.leader)
    dossier = transition(dossier.code, "return", signing.catalog.desk, method="desk")
    assert dossier.status == Status.RETURNED


def test_unflagged_procedure_is_returned_unsigned(db, test_pki):  # noqa: F811
    signing = Signing(test_pki, must_sign=False)
    dossier = signing.result_ready()
    dossier = transition(dossier.code, "return", signing.catalog.desk, method="desk")
    assert dossier.status == Status.RETURNED and dossier.result_signed_at is None


@pytest.mark.parametrize("who", ["specialist", "desk", "citizen"])
def test_only_leader_or_clerk_may_sign(signing, who):
    dossier = signing.result_ready()
    with pytest.raises(NotAllowed) as error:
        transition(dossier.code, "sign", getattr(signing.catalog, who))
    assert error.value.status_code == 403
    assert "sign" not in allowed_actions(dossier, getattr(signing.catalog, who))


def test_sign_needs_a_ready_result(signing):
    dossier = file_online(signing.catalog)
    transition(dossier.code, "receive", signing.catalog.desk)
    with pytest.raises(InvalidState) as error:
        transition(dossier.code, "sign", signing.leader)
    assert error.value.status_code == 409


def test_signer_without_certificate_gets_a_clear_error(signing):
    dossier = signing.result_ready()
    other_leader = staff_user(signing.catalog.agency, Role.LEADER)
    with pytest.raises(SigningRefused) as error:
        transition(dossier.code, "sign", other_leader)
    assert error.value.status_code == 400
    assert "chứng thư số" in error.value.message
    dossier.refresh_from_db()
    assert dossier.result_signed_at is None
    assert Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT).count() == 1


def test_deciding_leader_signs_after_the_result_travelled_back(signing):
    dossier = signing.result_ready()
    desk_agency = AgencyFactory()
    # The result went back to another desk (routing): the deciding agency still signs it.
    Dossier.objects.filter(pk=dossier.pk).update(
        current_agency=desk_agency, returning_agency=desk_agency
    )
    assert Dossier.objects.visible_to(signing.leader).filter(pk=dossier.pk).exists()
    assert Dossier.objects.actionable_by(signing.leader).filter(pk=dossier.pk).exists()
    dossier = transition(dossier.code, "sign", signing.leader)
    assert dossier.result_signed_at is not None
    assert not Dossier.objects.actionable_by(signing.leader).filter(pk=dossier.pk).exists()


# --- submit-for-approval --------------------------------------------------------------------


def test_specialist_submits_for_approval_with_a_draft(signing):
    catalog = signing.catalog
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)
    dossier = transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    assert "submit-for-approval" in allowed_actions(dossier, catalog.specialist)
    dossier = transition(
        dossier.code,
        "submit-for-approval",
        catalog.specialist,
        note="Hồ sơ đủ điều kiện, đề nghị cấp giấy khai sinh.",
        draft_file=result_file("du-thao.pdf"),
    )
    assert dossier.status == Status.PROCESSING and dossier.approval_requested_at is not None
    draft = Attachment.objects.get(dossier=dossier, kind=AttachmentKind.DRAFT)
    event = dossier.events.last()
    assert event.action == "submit-for-approval" and not event.is_public
    assert event.attachment_ids == [draft.pk] and "đủ điều kiện" in event.note

    dossier = transition(
        dossier.code, "complete", catalog.leader, result_summary="Cấp", result_file=result_file()
    )
    assert dossier.approval_requested_at is None


def test_submit_for_approval_rules(signing):
    catalog = signing.catalog
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    with pytest.raises(NotAllowed):
        transition(dossier.code, "submit-for-approval", catalog.leader, note="x")
    with pytest.raises(ValidationError) as error:
        transition(dossier.code, "submit-for-approval", catalog.specialist, note="  ")
    assert "note" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        transition(
            dossier.code,
            "submit-for-approval",
            catalog.specialist,
            note="x",
            draft_file=SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf"),
        )
    assert "draft_file" in error.value.message_dict


# --- API --------------------------------------------------------------------------------------


def api_act(client, user, code, action, **body):
    client.force_authenticate(user)
    return client.post(f"/api/v1/dossiers/{code}/actions/{action}/", body, format="json")


def test_sign_over_the_api(api_client, signing):
    dossier = signing.result_ready()
    assert api_act(api_client, signing.clerk, dossier.code, "sign").status_code == 409
    assert api_act(api_client, signing.catalog.specialist, dossier.code, "sign").status_code == 403
    no_cert = staff_user(signing.catalog.agency, Role.LEADER)
    response = api_act(api_client, no_cert, dossier.code, "sign")
    assert response.status_code == 400 and "chứng thư số" in response.json()["detail"]
    response = api_act(api_client, signing.catalog.desk, dossier.code, "return", method="desk")
    assert response.status_code == 409

    response = api_act(api_client, signing.leader, dossier.code, "sign", note="Duyệt")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["result_signed_at"] and body["status"] == Status.RESULT_READY
    current = [a for a in body["attachments"] if a["kind"] == "result" and not a["superseded_by"]]
    assert len(current) == 1 and body["links"]["result"].endswith(f"/{current[0]['id']}/")
    response = api_act(api_client, signing.clerk, dossier.code, "sign")
    assert response.status_code == 200 and response.json()["result_countersigned_at"]


def test_api_hides_drafts_from_the_applicant(api_client, signing):
    catalog = signing.catalog
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    api_client.force_authenticate(catalog.specialist)
    response = api_client.post(
        f"/api/v1/dossiers/{dossier.code}/actions/submit-for-approval/",
        {"note": "Đề nghị duyệt", "draft_file": result_file("du-thao.pdf")},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert "draft" in {a["kind"] for a in response.json()["attachments"]}
    api_client.force_authenticate(catalog.citizen)
    body = api_client.get(f"/api/v1/dossiers/{dossier.code}/").json()
    assert "draft" not in {a["kind"] for a in body["attachments"]}


# --- pages ------------------------------------------------------------------------------------


def desk_page(code: str) -> str:
    return f"/desk/dossiers/{code}/"


def test_processing_page_offers_role_aware_sign_forms(signing):
    dossier = signing.result_ready()
    html = client_for(signing.leader).get(desk_page(dossier.code)).content.decode()
    assert ">Ký số kết quả</h3>" in html and "/actions/sign/" in html
    assert (
        "/actions/sign/"
        not in client_for(signing.catalog.specialist).get(desk_page(dossier.code)).content.decode()
    )

    response = client_for(signing.leader).post(
        f"/desk/dossiers/{dossier.code}/actions/sign/", {"sign-note": ""}
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.result_signed_at is not None

    leader_html = client_for(signing.leader).get(desk_page(dossier.code)).content.decode()
    assert "/actions/sign/" not in leader_html  # signed: nothing more to sign
    html = client_for(signing.clerk).get(desk_page(dossier.code)).content.decode()
    assert ">Ký ban hành</h3>" in html
    assert "bản trước khi ký, đã được thay bằng bản ký số" in html


def test_processing_page_without_certificate_shows_the_reason(signing):
    dossier = signing.result_ready()
    other_leader = staff_user(signing.catalog.agency, Role.LEADER)
    client = client_for(other_leader)
    response = client.post(f"/desk/dossiers/{dossier.code}/actions/sign/", {}, follow=True)
    assert response.status_code == 200
    assert "chưa có chứng thư số" in response.content.decode()


def test_leader_sees_the_approval_request(signing):
    catalog = signing.catalog
    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)
    transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    transition(dossier.code, "submit-for-approval", catalog.specialist, note="Đề nghị duyệt")
    html = client_for(catalog.leader).get(desk_page(dossier.code)).content.decode()
    assert "Chuyên viên đã trình lãnh đạo phê duyệt" in html
    queue = client_for(catalog.leader).get("/desk/?tab=processing").content.decode()
    assert dossier.code in queue and "Chờ phê duyệt" in queue


def test_citizen_page_shows_the_stored_verification_with_a_fixed_query_count(signing):
    dossier = signing.result_ready()
    client = client_for(signing.catalog.citizen)
    url = f"/dossiers/{dossier.code}/"
    transition(dossier.code, "sign", signing.leader)
    with CaptureQueriesContext(connection) as one_signature:
        response = client.get(url)
    html = response.content.decode()
    assert "Xác thực chữ ký số của kết quả" in html
    assert "Đặng Văn Khoa" in html and "Hợp lệ" in html
    assert html.count("ket-qua.pdf</a>") == 1  # the unsigned original is not offered

    transition(dossier.code, "sign", signing.clerk)
    with CaptureQueriesContext(connection) as two_signatures:
        html = client.get(url).content.decode()
    assert "Hoàng Thị Lan" in html and html.count("Hợp lệ") >= 3
    # Reading the stored report: no re-verification, no query per signature or file.
    assert len(one_signature) == len(two_signatures) <= 10

    transition(dossier.code, "return", signing.catalog.desk, method="desk")
    html = client.get(url).content.decode()
    assert "Hoàng Thị Lan" in html and "Đặng Văn Khoa" in html
