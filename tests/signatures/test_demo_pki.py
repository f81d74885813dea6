"""issue_demo_pki: the demo CA, its intermediate and the demo officials' certificates."""

from io import StringIO

import pytest
from django.core.management import call_command

from portal.models import Role
from signatures import services
from signatures.demo import ROOT_CN, seed_pki
from signatures.models import IntermediateCertificate, SigningCertificate, TrustAnchor
from signatures.verification import verify_pdf
from tests.factories import AgencyFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_officials(db):
    tnmt = AgencyFactory(code="H36.01", name="Sở Tài nguyên và Môi trường")
    leader = staff_user(tnmt, Role.LEADER, username="leader.tnmt", full_name="Đặng Văn Khoa")
    clerk = staff_user(tnmt, Role.CLERK, username="clerk.tnmt", full_name="Hoàng Thị Lan")
    leader.memberships.update(title="Phó Giám đốc Sở")
    return leader, clerk


def run() -> str:
    out = StringIO()
    call_command("issue_demo_pki", stdout=out)
    return out.getvalue()


def state() -> dict:
    return {
        "anchors": list(TrustAnchor.objects.values_list("fingerprint", "is_active")),
        "intermediates": list(IntermediateCertificate.objects.values_list("fingerprint")),
        "certificates": list(SigningCertificate.objects.values_list("fingerprint", "user")),
    }


def test_issue_demo_pki_creates_the_chain_and_is_idempotent(demo_officials):
    first_output = run()
    first = state()
    second_output = run()

    assert state() == first
    assert "created trust anchor Demo Government CA" in first_output
    assert "nothing to do" in second_output
    anchor = TrustAnchor.objects.get()
    assert anchor.subject_cn == ROOT_CN and anchor.is_active
    intermediate = IntermediateCertificate.objects.get()
    assert intermediate.issuer == anchor.subject
    leader_cert = SigningCertificate.objects.get(user__username="leader.tnmt")
    assert leader_cert.subject_cn == "Đặng Văn Khoa"
    assert leader_cert.title == "Phó Giám đốc Sở"
    assert leader_cert.agency.code == "H36.01"
    assert leader_cert.issuer == intermediate.subject
    assert SigningCertificate.objects.filter(user__username="clerk.tnmt").count() == 1


def test_pdf_signed_by_the_demo_leader_is_valid_and_trusted(demo_officials, pdf):
    leader, _clerk = demo_officials
    run()

    report = verify_pdf(services.sign_document(pdf, leader, reason="Phê duyệt", location="Đà Lạt"))

    assert report.verdict == "valid"
    assert report.signatures[0].trusted
    assert report.signatures[0].signer_name == "Đặng Văn Khoa"


def test_a_lost_key_store_is_rebuilt(demo_officials):
    from django.core.files.storage import storages

    run()
    storage = storages["private"]
    for name in storage.listdir("keys")[1]:
        storage.delete(f"keys/{name}")

    output = run()

    assert "created trust anchor" in output
    assert TrustAnchor.objects.filter(is_active=True).count() == 1
    assert SigningCertificate.objects.filter(user__username="leader.tnmt").count() == 2


def test_seed_demo_hook_reports_what_it_did(demo_officials):
    out = StringIO()
    seed_pki(layout="2017", stdout=out)
    assert "signers: clerk.tnmt, leader.tnmt" in out.getvalue()


def test_seed_demo_hook_skips_politely_in_production_with_the_dev_password(
    demo_officials, settings
):
    settings.DEBUG = False
    settings.TESTING = False
    settings.SIGNATURES_PKCS12_PASSWORD = "dev-only-pkcs12-password"
    out = StringIO()
    seed_pki(layout="2017", stdout=out)
    assert "Demo PKI skipped" in out.getvalue()
    assert not TrustAnchor.objects.exists()
