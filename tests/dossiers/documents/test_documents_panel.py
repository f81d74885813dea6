"""Generated documents are listed on the owner's and staff's dossier pages, not on tracking."""

import pytest

from dossiers.documents import documents_panel
from dossiers.workflow import transition
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import DossierFactory

pytestmark = pytest.mark.django_db


def test_no_panel_without_documents():
    dossier = DossierFactory(received=True)
    assert documents_panel(None, dossier, "citizen") is None


def test_receipt_listed_for_owner_and_desk_but_not_on_tracking(
    client, catalog, clock, run_on_commit
):
    dossier = run_on_commit(file_online, catalog)
    run_on_commit(transition, dossier.code, "receive", catalog.desk)

    client.force_login(catalog.citizen)
    citizen_page = client.get(f"/dossiers/{dossier.code}/").content.decode()
    assert "dossier-documents" in citizen_page
    assert f"/{dossier.code}/" in citizen_page

    client.force_login(catalog.desk)
    desk_page = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert "dossier-documents" in desk_page

    client.logout()
    tracking = client.post("/track/", {"code": dossier.code, "phone": dossier.applicant_phone})
    assert tracking.status_code == 200
    assert "dossier-documents" not in tracking.content.decode()
