"""Shared fixtures. Tests run on the real PostgreSQL and Redis (see Makefile: make test)."""

import pytest
from rest_framework.test import APIClient

from portal.celery import app as celery_app


@pytest.fixture(autouse=True)
def _eager_celery_unless_worker(request):
    """Tasks run in-process, except in tests marked ``celery_worker`` (a real worker)."""
    eager = request.node.get_closest_marker("celery_worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language():
    """A request with another language (cookie, prefix) leaves it active in the thread: every
    test starts and ends in the default language, whatever ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
