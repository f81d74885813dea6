"""A worker keeps its database connection between tasks (``CELERY_DB_REUSE_MAX``) and closes,
after a task, only a connection that failed and no longer works or outlived ``CONN_MAX_AGE``
(``portal.celery.release_broken_connections``)."""

import time

import pytest
from django.conf import settings
from django.db import connection

from portal.celery import app, release_broken_connections

pytestmark = pytest.mark.django_db(transaction=True)


def test_celery_reads_the_reuse_setting():
    assert settings.CELERY_DB_REUSE_MAX >= 100
    assert app.conf.get("CELERY_DB_REUSE_MAX") == settings.CELERY_DB_REUSE_MAX


def test_a_healthy_connection_is_kept_without_a_query(django_assert_num_queries):
    connection.ensure_connection()
    connection.close_at = time.monotonic() + 60  # young (CONN_MAX_AGE)
    raw = connection.connection
    with django_assert_num_queries(0):
        release_broken_connections()
    assert connection.connection is raw


def test_a_broken_connection_is_closed_after_the_task():
    connection.ensure_connection()
    connection.connection.close()  # the server went away
    connection.errors_occurred = True
    release_broken_connections()
    assert connection.connection is None
    with connection.cursor() as cursor:  # the next task reconnects
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_an_old_connection_is_closed_after_the_task():
    connection.ensure_connection()
    connection.close_at = time.monotonic() - 1
    release_broken_connections()
    assert connection.connection is None
