"""The dossier's pages show its shipments through the dossier panel registry."""

import pytest

from portal.models import Role
from tests.factories import staff_user
from tests.postal.factories import ShipmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment():
    return ShipmentFactory(receiver_name="Trần Văn Bình")


def test_owner_sees_waybill_and_receiver(client, shipment):
    client.force_login(shipment.dossier.applicant)
    html = client.get(f"/dossiers/{shipment.dossier.code}/").content.decode()
    assert shipment.waybill in html
    assert "Trần Văn Bình" in html
    assert "css/postal.css" in html


def test_holding_desk_sees_waybill(client, shipment):
    client.force_login(staff_user(shipment.dossier.current_agency, Role.DESK))
    html = client.get(f"/desk/dossiers/{shipment.dossier.code}/").content.decode()
    assert shipment.waybill in html


def test_public_tracking_shows_waybill_but_no_personal_data(client, shipment):
    dossier = shipment.dossier
    response = client.post("/track/", {"code": dossier.code, "phone": dossier.applicant_phone})
    html = response.content.decode()
    assert response.status_code == 200
    assert shipment.waybill in html
    assert "12 Hai Bà Trưng" not in html


def test_dossier_without_shipment_has_no_postal_panel(client):
    from tests.dossiers.factories import DossierFactory

    dossier = DossierFactory(received=True)
    client.force_login(dossier.applicant)
    html = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert "postal-shipments" not in html
