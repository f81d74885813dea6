"""The admin is read-mostly: no adding, changing or deleting dossiers or their history."""

import pytest

from dossiers.models import Notification
from tests.dossiers.conftest import file_online
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_dossier_pages_are_read_only(admin_client, catalog):
    dossier = file_online(catalog)
    listing = admin_client.get("/admin/dossiers/dossier/")
    assert listing.status_code == 200
    assert dossier.code in listing.content.decode()
    page = admin_client.get(f"/admin/dossiers/dossier/{dossier.pk}/change/")
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert admin_client.get("/admin/dossiers/dossier/add/").status_code == 403
    assert admin_client.post(f"/admin/dossiers/dossier/{dossier.pk}/delete/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/dossiers/dossier/{dossier.pk}/change/", {"status": 10}
        ).status_code
        == 403
    )
    dossier.refresh_from_db()
    assert dossier.status == 1


def test_failed_notifications_can_be_requeued(admin_client, catalog):
    from dossiers.workflow import transition

    dossier = file_online(catalog)
    transition(dossier.code, "receive", catalog.desk)
    Notification.objects.update(status="failed", attempts=5, last_error="boom")
    ids = list(Notification.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/dossiers/notification/",
        {"action": "retry", "_selected_action": ids},
    )
    assert response.status_code == 302
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
