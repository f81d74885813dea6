"""The payments API and pages: who may start, see and list payments (404 for a dossier one may
not see, 403 for staff who may see but not pay, 409 when nothing is due), the dossier's
``payment`` link, and query counts that do not grow with the number of payments."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from dossiers.models import Status
from dossiers.models_payments import PaymentTransaction
from dossiers.payments import services
from dossiers.payments.gateways import GatewayResult
from dossiers.payments.panel import dossier_payment_context
from portal.models import Role
from tests.factories import AgencyFactory, CitizenFactory, staff_user
from tests.payments.factories import PaymentFactory, client_for, file_online

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_the_owner_starts_a_payment_through_the_api(catalog):
    dossier = file_online(catalog)
    response = api(catalog.citizen).post(f"/api/v1/dossiers/{dossier.code}/payments/")
    assert response.status_code == 201, response.content
    body = response.json()
    payment = PaymentTransaction.objects.get()
    assert body["reference"] == payment.reference
    assert (body["status"], body["amount_vnd"]) == ("initiated", 100_000)
    assert body["redirect_url"].endswith(f"/payments/sandbox/{payment.reference}/")


@pytest.mark.parametrize(
    ("who", "status"),
    [("stranger", 404), ("outsider", 404), ("desk", 403), ("anonymous", 401)],
)
def test_nobody_else_starts_one(catalog, who, status):
    dossier = file_online(catalog)
    users = {
        "stranger": CitizenFactory(),
        "outsider": staff_user(AgencyFactory(), Role.DESK),
        "desk": catalog.desk,
        "anonymous": None,
    }
    response = api(users[who]).post(f"/api/v1/dossiers/{dossier.code}/payments/")
    assert response.status_code == status
    assert response.json()["detail"]
    assert not PaymentTransaction.objects.exists()


def test_nothing_due_is_a_409_with_a_reason(db):
    from tests.payments.factories import level4_catalog

    catalog = level4_catalog(fee=0)
    dossier = file_online(catalog)
    response = api(catalog.citizen).post(f"/api/v1/dossiers/{dossier.code}/payments/")
    assert response.status_code == 409
    assert "không có khoản" in response.json()["detail"]


def test_unknown_or_malformed_codes_and_references_are_404_not_500(catalog):
    client = api(catalog.citizen)
    assert client.post("/api/v1/dossiers/NOPE/payments/").status_code == 404
    assert client.get("/api/v1/dossiers/A%00B/payments/").status_code == 404
    assert client.get("/api/v1/payments/TT%00X/").status_code == 404
    assert client.get("/api/v1/payments/TTNOSUCHREF1/").status_code == 404
    pages = client_for(catalog.citizen)
    assert pages.get("/dossiers/A%00B/payments/").status_code == 404
    assert pages.post("/dossiers/A%00B/payments/start/").status_code == 404
    assert pages.get("/payments/sandbox/x%00y/").status_code == 404
    assert pages.get("/payments/return/sandbox/", {"reference": "a\x00b"}).status_code == 302


def test_list_and_detail_for_owner_and_staff_only(catalog):
    dossier = file_online(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    services.settle(
        GatewayResult(payment.reference, "succeeded", 100_000, "SBX1"),
        gateway_name="sandbox",
        source="webhook",
    )
    for user in (catalog.citizen, catalog.desk):
        listing = api(user).get(f"/api/v1/dossiers/{dossier.code}/payments/")
        assert listing.status_code == 200
        (row,) = listing.json()["results"]
        assert row["reference"] == payment.reference and row["status"] == "succeeded"
        assert row["receipt"]["number"].startswith("BLMC-")
        assert row["receipt"]["url"].endswith(f"/payments/{payment.reference}/receipt/")
        detail = api(user).get(f"/api/v1/payments/{payment.reference}/")
        assert detail.status_code == 200 and detail.json()["dossier"] == dossier.code
    stranger = api(CitizenFactory())
    assert stranger.get(f"/api/v1/dossiers/{dossier.code}/payments/").status_code == 404
    assert stranger.get(f"/api/v1/payments/{payment.reference}/").status_code == 404


def test_the_payment_page_for_staff_shows_no_button(catalog):
    dossier = file_online(catalog)
    html = client_for(catalog.desk).get(f"/dossiers/{dossier.code}/payments/").content.decode()
    assert "100.000 đồng" in html
    assert "Đang chờ người nộp hồ sơ thanh toán trực tuyến" in html
    assert "Thanh toán trực tuyến</button>" not in html
    assert (
        client_for(CitizenFactory()).get(f"/dossiers/{dossier.code}/payments/").status_code == 404
    )
    staff_start = client_for(catalog.desk).post(f"/dossiers/{dossier.code}/payments/start/")
    assert staff_start.status_code == 403


def test_the_dossier_links_to_its_payment_while_due_and_once_paid(catalog):
    dossier = file_online(catalog)
    detail = api(catalog.citizen).get(f"/api/v1/dossiers/{dossier.code}/").json()
    assert detail["links"]["payment"].endswith(f"/dossiers/{dossier.code}/payments/")
    # Level 3: no online payment, no link.
    from tests.payments.factories import level4_catalog

    other = level4_catalog(service_level=3)
    plain = file_online(other)
    detail = api(other.citizen).get(f"/api/v1/dossiers/{plain.code}/").json()
    assert detail["links"]["payment"] is None


def test_a_failed_start_at_the_gateway_is_a_clear_503(catalog, monkeypatch):
    from dossiers.payments.gateways import GatewayError, sandbox

    def down(self, order):
        raise GatewayError("connection refused")

    monkeypatch.setattr(sandbox.SandboxGateway, "start", down)
    dossier = file_online(catalog)
    response = api(catalog.citizen).post(f"/api/v1/dossiers/{dossier.code}/payments/")
    assert response.status_code == 503
    assert "thử lại" in response.json()["detail"]
    assert PaymentTransaction.objects.get().status == "failed"
    page = client_for(catalog.citizen).post(f"/dossiers/{dossier.code}/payments/start/")
    assert page.status_code == 302 and page["Location"].endswith("/payments/")


def with_history(catalog, count: int):
    dossier = file_online(catalog)
    from dossiers.models import DossierEvent

    submit = DossierEvent.objects.get(dossier=dossier, action="submit")
    PaymentFactory.create_batch(count, dossier=dossier, due_event=submit, purpose="filing")
    return dossier


@pytest.mark.parametrize("count", [2, 15])
def test_query_counts_do_not_grow_with_payments(catalog, count, django_assert_max_num_queries, rf):
    dossier = with_history(catalog, count)
    owner = client_for(catalog.citizen)
    client = api(catalog.citizen)
    with django_assert_max_num_queries(12):
        response = owner.get(f"/dossiers/{dossier.code}/payments/")
    assert response.status_code == 200
    assert response.content.decode().count('class="payment-failed"') == count
    with django_assert_max_num_queries(10):
        response = client.get(f"/api/v1/dossiers/{dossier.code}/payments/")
    assert response.json()["count"] == count
    request = rf.get("/")
    request.user = catalog.citizen
    with django_assert_max_num_queries(4):
        panel = dossier_payment_context(request, dossier)["payment_panel"]
    assert panel.last_failure is not None and panel.can_pay
    assert dossier.status == Status.SUBMITTED


def test_operators_read_payments_and_the_audit_trail_in_the_admin(catalog):
    from tests.factories import UserFactory

    dossier = file_online(catalog)
    payment = services.start_payment(dossier.code, catalog.citizen).payment
    admin_user = UserFactory(is_staff=True, is_superuser=True)
    client = client_for(admin_user)
    listing = client.get("/admin/dossiers/paymenttransaction/")
    assert listing.status_code == 200 and payment.reference in listing.content.decode()
    assert client.get(f"/admin/dossiers/paymenttransaction/{payment.pk}/change/").status_code == 200
    audit = client.get("/admin/dossiers/paymentauditentry/")
    assert audit.status_code == 200 and "started" in audit.content.decode()
    assert client.get("/admin/dossiers/paymenttransaction/add/").status_code == 403
