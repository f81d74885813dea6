"""The desk manifest ``/desk/postal/manifest/?date=``: today's hand-over for the user's agency
only, printable and as a PDF whose renderer fetches nothing but our static files."""

import datetime
import io

import pytest
from django.utils import timezone
from pypdf import PdfReader

from postal.alerts import raise_alert
from postal.models import AlertKind, ShipmentAlert, ShipmentStatus
from postal.pdf import _static_file, render_pdf
from tests.factories import CitizenFactory, staff_user
from tests.postal.factories import ShipmentFactory

pytestmark = pytest.mark.django_db
URL = "/desk/postal/manifest/"


@pytest.fixture
def desk_setup(units):
    today = ShipmentFactory(sender_commune=units.phuong4, receiver_name="Nguyễn Thị Hoà")
    agency = today.agency
    desk = staff_user(agency)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    carried = ShipmentFactory(agency=agency, sender_commune=units.phuong4, handover_date=yesterday)
    collected = ShipmentFactory(
        agency=agency,
        sender_commune=units.phuong4,
        handover_date=yesterday,
        status=ShipmentStatus.PICKED_UP,
    )
    elsewhere = ShipmentFactory(sender_commune=units.phuong4)
    return {"desk": desk, "today": today, "carried": carried, "collected": collected,
            "elsewhere": elsewhere}  # fmt: skip


def test_the_desk_sees_what_to_hand_over_today(client, desk_setup):
    client.force_login(desk_setup["desk"])
    response = client.get(URL)
    assert response.status_code == 200
    shown = {s.pk for s in response.context["manifest"].deliveries}
    # Booked today, and yesterday's still waiting for the postman; not what left already,
    # nor another agency's.
    assert shown == {desk_setup["today"].pk, desk_setup["carried"].pk}
    html = response.content.decode()
    assert desk_setup["today"].waybill in html and "Nguyễn Thị Hoà" in html
    assert desk_setup["elsewhere"].waybill not in html
    assert "css/postal.css" in html and '<th scope="col">' in html


def test_another_day_shows_that_day(client, desk_setup):
    client.force_login(desk_setup["desk"])
    day = timezone.localdate() - datetime.timedelta(days=1)
    response = client.get(URL, {"date": day.isoformat()})
    shown = {s.pk for s in response.context["manifest"].deliveries}
    assert shown == {desk_setup["carried"].pk, desk_setup["collected"].pk}


@pytest.mark.parametrize("value", ["28/11/2026", "2026-13-01", "x\x00", "9" * 40])
def test_a_bad_date_is_400_with_the_reason(client, desk_setup, value):
    client.force_login(desk_setup["desk"])
    response = client.get(URL, {"date": value})
    assert response.status_code == 400
    assert "YYYY-MM-DD" in response.content.decode()


def test_citizens_and_strangers_get_404_anonymous_must_log_in(client, desk_setup):
    assert client.get(URL).status_code == 302
    client.force_login(CitizenFactory())
    assert client.get(URL).status_code == 404
    client.force_login(desk_setup["desk"])
    other = desk_setup["elsewhere"].agency.code
    assert client.get(URL, {"agency": other}).status_code == 404


def test_the_pdf_renders_in_vietnamese(client, desk_setup):
    client.force_login(desk_setup["desk"])
    response = client.get(URL + "pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = PdfReader(io.BytesIO(response.content)).pages
    text = " ".join(" ".join(page.extract_text() for page in pages).split())  # cells wrap
    assert "BẢNG KÊ BÀN GIAO BƯU GỬI" in text
    assert desk_setup["today"].waybill in text
    assert "Nguyễn Thị Hoà" in text


def test_the_pdf_fetcher_serves_only_local_static_files(tmp_path):
    assert _static_file("https://static.motcua.invalid/static/css/postal.css") is not None
    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "https://static.motcua.invalid/static/../../etc/passwd",
        "https://static.motcua.invalid/etc/passwd",
        "https://evil.example/static/css/postal.css",
    ):
        assert _static_file(url) is None
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    pdf = render_pdf(
        f'<p>Xin chào</p><img src="file://{secret}"><img src="http://127.0.0.1:9/x.png">'
        f'<link rel="stylesheet" href="file://{secret}">'
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Xin chào" in text and "TOP-SECRET" not in text


def test_alerts_are_listed_and_resolved_by_the_desk(client, desk_setup):
    shipment = desk_setup["today"]
    alert = raise_alert(
        shipment.dossier, AlertKind.DELIVERY_FAILED, "Phát không thành công: vắng nhà",
        agency_id=shipment.agency_id, shipment=shipment,
    )  # fmt: skip
    client.force_login(desk_setup["desk"])
    assert "vắng nhà" in client.get(URL).content.decode()
    stranger = staff_user(desk_setup["elsewhere"].agency)
    client.force_login(stranger)
    assert client.post(f"/desk/postal/alerts/{alert.pk}/resolve/").status_code == 404
    client.force_login(desk_setup["desk"])
    response = client.post(
        f"/desk/postal/alerts/{alert.pk}/resolve/", {"next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == URL
    alert.refresh_from_db()
    assert alert.resolved_by == desk_setup["desk"]
    assert not ShipmentAlert.objects.open().exists()


def test_manifest_queries_do_not_grow_with_data(client, units, django_assert_max_num_queries):
    first = ShipmentFactory(sender_commune=units.phuong4)
    desk = staff_user(first.agency)
    client.force_login(desk)

    def make(n):
        for _ in range(n):
            ShipmentFactory(agency=first.agency, sender_commune=units.phuong4)

    with django_assert_max_num_queries(12):
        assert len(client.get(URL).context["manifest"].deliveries) == 1
    make(25)
    with django_assert_max_num_queries(12):
        assert len(client.get(URL).context["manifest"].deliveries) == 26
