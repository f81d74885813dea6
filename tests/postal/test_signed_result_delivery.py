"""A procedure whose result must be signed: the post takes the result only once the leader has
signed it (the ``sign`` event at status 9 books the delivery), and the sweeper's repair agrees."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dossiers.workflow import transition
from postal import listeners
from postal.models import Direction, Shipment
from signatures import pki, services
from signatures.providers import LocalPkcs12Provider
from signatures.sample_pdf import one_page_pdf
from tests.postal.conftest import file_postal
from tests.postal.factories import PostalCatalog

pytestmark = pytest.mark.django_db


def give_certificate(user) -> None:
    ca_key, ca = pki.build_ca("Postal Test CA")
    key, cert = pki.issue_signer("Lãnh Đạo", issuer=ca, issuer_key=ca_key)
    reference = LocalPkcs12Provider().store_key(key, cert, [ca])
    services.register_signing_certificate(
        pki.to_pem(cert), user=user, provider=LocalPkcs12Provider.name, key_reference=reference
    )


def complete_unsigned(catalog, dossier, commit) -> None:
    """Receive, assign and complete: the result is ready (status 9), not yet signed."""
    with commit():
        transition(dossier.code, "receive", catalog.desk)
        transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
        transition(
            dossier.code,
            "complete",
            catalog.leader,
            result_summary="Cấp giấy chứng nhận",
            result_file=SimpleUploadedFile("kq.pdf", one_page_pdf("KET QUA"), "application/pdf"),
        )


def test_delivery_waits_for_the_leaders_signature(units, commit):
    catalog = PostalCatalog(units, result_must_be_signed=True)
    give_certificate(catalog.leader)
    dossier = file_postal(catalog, commit)
    complete_unsigned(catalog, dossier, commit)
    deliveries = Shipment.objects.filter(dossier=dossier, direction=Direction.DELIVERY)
    assert not deliveries.exists()
    assert (dossier.pk, Direction.DELIVERY) not in listeners.missing_shipments()

    with commit():
        transition(dossier.code, "sign", catalog.leader)
    assert deliveries.count() == 1


def test_the_desk_cannot_book_the_delivery_of_an_unsigned_result(api_client, units, commit):
    catalog = PostalCatalog(units, result_must_be_signed=True)
    give_certificate(catalog.leader)
    dossier = file_postal(catalog, commit, result_delivery="desk")
    complete_unsigned(catalog, dossier, commit)
    api_client.force_authenticate(catalog.desk)
    body = {"dossier": dossier.code, "direction": "delivery"}
    response = api_client.post("/api/v1/postal/shipments/", body, format="json")
    assert response.status_code == 409
    assert "ký số" in response.json()["detail"]
    assert not Shipment.objects.filter(dossier=dossier, direction=Direction.DELIVERY).exists()

    with commit():
        transition(dossier.code, "sign", catalog.leader)
    response = api_client.post("/api/v1/postal/shipments/", body, format="json")
    assert response.status_code == 201, response.content
    assert Shipment.objects.filter(dossier=dossier, direction=Direction.DELIVERY).count() == 1
