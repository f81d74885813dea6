"""Authentication under attack: brute force locked out by django-axes (pages and the API token
endpoint) with a Vietnamese message, token and session expiry, rate limits."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD, CitizenFactory

pytestmark = pytest.mark.django_db

LOCKED_MESSAGE = "Tài khoản tạm thời bị khoá"


@pytest.fixture
def citizen():
    return CitizenFactory(username="brute.target")


@pytest.fixture(autouse=True)
def _axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 5


def login(client: Client, password: str, username: str = "brute.target"):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_brute_force_on_the_login_page_is_locked_out_in_vietnamese(citizen):
    client = Client(REMOTE_ADDR="203.0.113.7")
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, f"wrong-{attempt}")
        assert response.status_code == 200, attempt  # the form again, with its error
    locked = login(client, "wrong-last")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert LOCKED_MESSAGE in page
    assert "15 phút" in page
    assert 'name="password"' not in page  # no form to keep guessing with
    assert int(locked["Retry-After"]) == 15 * 60

    # Even the right password is refused now, and no session is opened.
    again = login(client, PASSWORD)
    assert again.status_code in {403, 429}
    assert LOCKED_MESSAGE in again.content.decode()
    assert "_auth_user_id" not in client.session

    # Another IP with the same user name is not locked (lockout by user name AND address).
    elsewhere = login(Client(REMOTE_ADDR="198.51.100.9"), PASSWORD)
    assert elsewhere.status_code == 302


def test_brute_force_on_the_api_token_endpoint_is_locked_out_too(citizen):
    client = APIClient(REMOTE_ADDR="203.0.113.8")
    url = reverse("api-token")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        cache.clear()  # the token throttle (10/min) is not what is tested here
        response = client.post(url, {"username": citizen.username, "password": f"x{attempt}"})
        assert response.status_code in {400, 403, 429}, response.content
    cache.clear()
    locked = client.post(url, {"username": citizen.username, "password": PASSWORD})
    assert locked.status_code == 429, locked.content
    assert locked["Content-Type"].startswith("application/json")
    assert "15 phút" in locked.json()["detail"]
    assert "khoá" in locked.json()["detail"] or "khóa" in locked.json()["detail"]
    assert not Token.objects.filter(user=citizen).exists()


def test_a_successful_login_resets_the_failure_count(citizen):
    client = Client(REMOTE_ADDR="203.0.113.9")
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, f"wrong-{attempt}")
    assert login(client, PASSWORD).status_code == 302
    client.logout()
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, f"again-{attempt}").status_code == 200


def test_an_expired_api_token_is_refused_and_deleted(citizen):
    token = Token.objects.create(user=citizen)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(reverse("api-dossier-list")).status_code == 200
    # Through the ORM (a save sends the signal that ends every process's copy of the token;
    # a raw UPDATE is seen after COPY_MAX_SECONDS: portal/api/authentication.py).
    token.created = timezone.now() - datetime.timedelta(
        hours=settings.API_TOKEN_TTL_HOURS, minutes=1
    )
    token.save(update_fields=["created"])
    response = client.get(reverse("api-dossier-list"))
    assert response.status_code == 401
    assert response.json()["detail"] == "Mã truy cập đã hết hạn."
    assert not Token.objects.filter(pk=token.pk).exists()


def test_a_new_token_replaces_the_old_one(citizen):
    client = APIClient()
    url = reverse("api-token")
    first = client.post(url, {"username": citizen.username, "password": PASSWORD}).json()
    second = client.post(url, {"username": citizen.username, "password": PASSWORD}).json()
    assert first["token"] != second["token"]
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    assert stale.get(reverse("api-dossier-list")).status_code == 401


def test_a_session_expires_after_its_age(citizen):
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY
    client = Client()
    assert login(client, PASSWORD).status_code == 302
    assert client.get(reverse("dossiers:mine")).status_code == 200
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    cache.clear()  # cached_db: the cache copy would live as long as the session anyway
    response = client.get(reverse("dossiers:mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_logging_out_ends_the_session_on_the_server(citizen):
    client = Client()
    login(client, PASSWORD)
    key = client.session.session_key
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("logout"))
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
    assert replay.get(reverse("dossiers:mine")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()


def test_public_tracking_is_rate_limited_per_address_on_the_api_and_the_page(monkeypatch):
    from types import SimpleNamespace

    from dossiers import tracking

    # Lookups count in fixed one-minute windows: keep all of them inside one window.
    monkeypatch.setattr(tracking, "time", SimpleNamespace(time=lambda: 1_800_000_010.0))
    api = APIClient(REMOTE_ADDR="192.0.2.10")
    statuses = [
        api.get(reverse("api-track"), {"code": "X-1", "phone": "0900000000"}).status_code
        for _ in range(31)
    ]
    assert statuses[:30] == [404] * 30
    assert statuses[30] == 429
    assert "detail" in api.get(reverse("api-track"), {"code": "X", "phone": "09"}).json()

    page = Client(REMOTE_ADDR="192.0.2.11")
    answers = [
        page.post(reverse("dossiers:track"), {"code": "X-1", "phone": "0900000000"})
        for _ in range(31)
    ]
    assert {a.status_code for a in answers[:30]} == {404}
    assert answers[30].status_code == 429
    assert int(answers[30]["Retry-After"]) > 0
    # Another address is not affected.
    other = Client(REMOTE_ADDR="192.0.2.12")
    assert other.post(reverse("dossiers:track"), {"code": "X", "phone": "09"}).status_code != 429


def test_the_token_endpoint_is_rate_limited(citizen):
    client = APIClient(REMOTE_ADDR="192.0.2.20")
    url = reverse("api-token")
    statuses = [client.post(url, {"username": "nobody", "password": "x"}).status_code
                for _ in range(11)]  # fmt: skip
    assert statuses[-1] == 429
