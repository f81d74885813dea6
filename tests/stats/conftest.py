import datetime

import pytest
from django.utils import timezone

from dossiers.sms import SandboxSmsBackend


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sandbox_sms(settings):
    settings.SMS_BACKEND = "sandbox"
    SandboxSmsBackend.reset()
    yield
    SandboxSmsBackend.reset()


class Clock:
    """A settable ``timezone.now`` (services, auto_now fields and the stats read it)."""

    def __init__(self, start: datetime.datetime):
        self.now = start

    def set(self, *args) -> datetime.datetime:
        self.now = timezone.make_aware(datetime.datetime(*args))
        return self.now

    def advance(self, **kwargs) -> datetime.datetime:
        self.now += datetime.timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    # Monday 6 January 2025, 08:00 local time.
    clock = Clock(timezone.make_aware(datetime.datetime(2025, 1, 6, 8, 0)))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run the after-commit listeners of whatever the block does (tests run in a transaction)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
