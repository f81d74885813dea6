import pytest

from tests.factories import CitizenFactory

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_readyz_reports_database_and_broker(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": True, "broker": True}


def test_readyz_fails_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["broker"] is False


def test_home_page_is_vietnamese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="vi">' in html
    assert "Dịch vụ công trực tuyến" in html
    assert 'role="search"' in html


def test_home_page_in_english_through_the_language_switcher(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Online public services" in html


def test_unknown_page_is_a_styled_404(client):
    response = client.get("/khong-co-trang-nay/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/khong-co/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_security_headers_are_set(client):
    response = client.get("/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_citizen_logs_in_and_out(client):
    CitizenFactory(username="citizen9")
    response = client.post(
        "/accounts/login/", {"username": "citizen9", "password": "demo12345"}, follow=True
    )
    assert response.context["user"].username == "citizen9"
    assert "Đăng xuất" in response.content.decode()
    client.post("/accounts/logout/")
    assert "Đăng nhập" in client.get("/").content.decode()


def test_wrong_password_shows_a_vietnamese_error(client):
    CitizenFactory(username="citizen9")
    response = client.post("/accounts/login/", {"username": "citizen9", "password": "sai"})
    assert response.status_code == 200
    assert "tên đăng nhập" in response.content.decode().lower()


def test_browser_language_does_not_switch_the_portal_to_english(client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="vi">' in html
