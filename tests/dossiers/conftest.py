import datetime

import pytest
from django.utils import timezone

from dossiers.filing import file_dossier
from dossiers.models import FilingChannel
from dossiers.sms import SandboxSmsBackend
from tests.dossiers.factories import Catalog, applicant_data, pdf


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
    """A settable ``timezone.now`` (services read the time only through it)."""

    def __init__(self, start: datetime.datetime):
        self.now = start

    def set(self, *args, **kwargs) -> datetime.datetime:
        self.now = timezone.make_aware(datetime.datetime(*args, **kwargs))
        return self.now

    def advance(self, **kwargs) -> datetime.datetime:
        self.now += datetime.timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock(monkeypatch):
    # Monday 3 March 2025, 08:00 in Asia/Ho_Chi_Minh: an ordinary working morning.
    clock = Clock(timezone.make_aware(datetime.datetime(2025, 3, 3, 8, 0)))
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def catalog(db):
    return Catalog()


def file_online(catalog: Catalog, **overrides):
    files = overrides.pop("files", None) or {"to-khai": [pdf()]}
    return file_dossier(
        procedure_code=catalog.code,
        applicant_user=catalog.citizen,
        data=applicant_data(**overrides),
        files=files,
        channel=FilingChannel.ONLINE,
        actor=catalog.citizen,
        submission_key=overrides.pop("submission_key", None),
    )


def file_walk_in(catalog: Catalog, **overrides):
    files = overrides.pop("files", None) or {"to-khai": [pdf()]}
    return file_dossier(
        procedure_code=catalog.code,
        applicant_user=None,
        data=applicant_data(**overrides),
        files=files,
        channel=FilingChannel.DIRECT,
        actor=catalog.desk,
    )


@pytest.fixture
def submitted(catalog):
    return file_online(catalog)


@pytest.fixture
def received(catalog):
    return file_walk_in(catalog)


@pytest.fixture
def processing(catalog, submitted):
    """An online dossier of ``catalog.citizen``, received and assigned to the specialist."""
    from dossiers.workflow import transition

    transition(submitted.code, "receive", catalog.desk)
    return transition(submitted.code, "assign", catalog.desk, assignee=catalog.specialist.username)
