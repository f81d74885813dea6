"""Token authentication keeps a per-process copy of the token's user (portal/api/authentication):
no query while nothing changed, and every change refused or seen at the next request."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from portal.models import Role, StaffMembership
from portal.permissions import _token_key
from tests.dossiers.factories import Catalog, DossierFactory
from tests.factories import AgencyFactory, CitizenFactory, staff_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/dossiers/"  # IsAuthenticated: an unknown token is a 401


def signed_in(api_client, user) -> Token:
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.get(URL).status_code == 200  # the miss: the copy is made
    return token


def _token_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "authtoken_token" in q["sql"]]


def test_a_warm_token_reads_neither_token_user_nor_grants(api_client):
    staff = staff_user(AgencyFactory(), Role.DESK)
    signed_in(api_client, staff)
    with CaptureQueriesContext(connection) as warm:
        assert api_client.get(URL).status_code == 200
    assert not _token_queries(warm)
    assert not [q for q in warm.captured_queries if "portal_user" in q["sql"]]
    assert not [q for q in warm.captured_queries if "staffmembership" in q["sql"]]


def test_a_deleted_token_is_refused_at_once(api_client):
    token = signed_in(api_client, CitizenFactory())
    token.delete()
    assert api_client.get(URL).status_code == 401


def test_a_rotated_token_is_refused_and_the_new_one_works(api_client):
    user = CitizenFactory(username="citizen9")
    old = signed_in(api_client, user)
    response = api_client.post(
        "/api/v1/auth/token/", {"username": "citizen9", "password": "demo12345"}
    )
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != old.key
    assert api_client.get(URL).status_code == 401  # still the old key
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
    assert api_client.get(URL).status_code == 200


def test_a_deactivated_user_is_refused_at_once(api_client):
    user = CitizenFactory()
    signed_in(api_client, user)
    user.is_active = False
    user.save()
    assert api_client.get(URL).status_code == 401


def test_a_revoked_role_is_gone_at_once(api_client):
    catalog = Catalog()
    DossierFactory(
        code="VISIBLE-1",
        procedure_version=catalog.version,
        procedure=catalog.procedure,
        receiving_agency=catalog.agency,
        received=True,
    )
    signed_in(api_client, catalog.desk)
    assert api_client.get(URL).json()["count"] == 1  # grants primed from the same read
    assert api_client.get(URL).json()["count"] == 1
    StaffMembership.objects.filter(user=catalog.desk).delete()
    assert api_client.get(URL).json()["count"] == 0


def test_another_process_change_is_seen(api_client):
    """A change committed by another process replaces the user's stamp in the shared cache."""
    user = CitizenFactory()
    token = signed_in(api_client, user)
    Token.objects.filter(pk=token.pk).delete()  # queryset delete: signals still sent
    assert api_client.get(URL).status_code == 401
    token = signed_in(api_client, user)
    # Rows changed without this process knowing (another process, its commit replaces the stamp).
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert api_client.get(URL).status_code == 200  # the copy: nothing told this process
    cache.set(_token_key(user.pk), "another-process", None)
    assert api_client.get(URL).status_code == 401


def test_a_superuser_flag_taken_away_is_seen_at_once(api_client):
    user = CitizenFactory(is_superuser=True)
    signed_in(api_client, user)
    user.is_superuser = False
    user.save()
    with CaptureQueriesContext(connection) as cold:
        assert api_client.get(URL).status_code == 200
    assert _token_queries(cold)  # read again: the user's stamp was replaced


def test_a_copy_is_bounded_in_age(api_client, monkeypatch):
    from portal.api import authentication

    user = CitizenFactory()
    signed_in(api_client, user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)  # raw: no signal
    now = authentication.time.monotonic()
    later = now + authentication.COPY_MAX_SECONDS + 1
    monkeypatch.setattr(authentication.time, "monotonic", lambda: later)
    assert api_client.get(URL).status_code == 401
