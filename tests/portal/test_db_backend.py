"""The PostgreSQL backend (portal/db/postgresql): Django's health check only for a connection that
sat idle, so a busy process does not send ``SELECT 1`` before every request's first query."""

import psycopg2
import pytest
from django.db import connection, connections

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def checked_connection(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the backend is PostgreSQL's")
    conn = connections["default"]
    conn.settings_dict["CONN_HEALTH_CHECKS"] = True
    conn.settings_dict["CONN_MAX_AGE"] = 60
    conn.close()
    conn.ensure_connection()
    yield conn
    conn.settings_dict["CONN_HEALTH_CHECKS"] = False
    conn.settings_dict["CONN_MAX_AGE"] = 0


def _health_checks(conn) -> int:
    """``SELECT 1`` round trips of the check (run on the raw connection, not the wrapper)."""
    calls = []
    original = conn.is_usable

    def counting():
        calls.append(1)
        return original()

    conn.is_usable = counting
    try:
        with conn.cursor() as cursor:  # the request's first query
            cursor.execute("SELECT 2")
    finally:
        del conn.is_usable
    return len(calls)


def test_the_settings_select_this_backend():
    if connection.vendor != "postgresql":
        pytest.skip("embedded mode runs SQLite")
    assert connections["default"].settings_dict["ENGINE"] == "portal.db.postgresql"
    assert type(connections["default"]).__module__ == "portal.db.postgresql.base"


def test_a_connection_used_a_moment_ago_is_not_checked_again(checked_connection, settings):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 60
    checked_connection.close_if_unusable_or_obsolete()  # the end of a request
    checked_connection.close_if_unusable_or_obsolete()  # the start of the next one
    assert _health_checks(checked_connection) == 0


def test_an_idle_connection_is_checked_as_django_does(checked_connection, settings):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 0
    checked_connection.close_if_unusable_or_obsolete()
    checked_connection.close_if_unusable_or_obsolete()
    assert _health_checks(checked_connection) == 1


def test_a_dead_idle_connection_is_replaced_before_the_request_uses_it(
    checked_connection, settings
):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 0
    checked_connection.close_if_unusable_or_obsolete()
    dead_pid = checked_connection.connection.get_backend_pid()
    with checked_connection.cursor():
        pass
    other = psycopg2.connect(**checked_connection.get_connection_params())
    try:
        with other.cursor() as cursor:  # the server drops the connection (a restart, a kill)
            cursor.execute("SELECT pg_terminate_backend(%s)", [dead_pid])
        other.commit()
    finally:
        other.close()
    checked_connection.close_if_unusable_or_obsolete()  # the next request starts
    with checked_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != dead_pid  # reconnected, no error


def test_a_connection_with_errors_is_still_checked(checked_connection, settings):
    settings.DATABASE_HEALTH_CHECK_IDLE_SECONDS = 60
    checked_connection.close_if_unusable_or_obsolete()
    checked_connection.errors_occurred = True
    calls = []
    original = checked_connection.is_usable
    checked_connection.is_usable = lambda: calls.append(1) or original()
    try:
        checked_connection.close_if_unusable_or_obsolete()
    finally:
        del checked_connection.is_usable
    assert calls == [1]  # Django's own check after an error, whatever the idle rule says
    assert checked_connection.connection is not None
