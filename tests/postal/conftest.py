import pytest

from dossiers.filing import file_dossier
from dossiers.models import FilingChannel
from dossiers.sms import SandboxSmsBackend
from tests.dossiers.factories import applicant_data, pdf
from tests.postal.factories import POSTAL_DATA, PostalCatalog, Units


@pytest.fixture(autouse=True)
def _postal_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "sandbox"
    settings.POSTAL_CARRIER = "sandbox"
    settings.POSTAL_WEBHOOK_SECRET = "test-postal-secret-0123456789abcdef"
    SandboxSmsBackend.reset()
    yield
    SandboxSmsBackend.reset()


@pytest.fixture
def units(db) -> Units:
    return Units()


@pytest.fixture
def catalog(units) -> PostalCatalog:
    return PostalCatalog(units)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """``with commit():`` runs what the code under test scheduled on commit (listeners, tasks),
    including callbacks scheduled by those callbacks."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


def file_postal(catalog, commit=None, **overrides):
    """An online dossier of ``catalog.citizen`` with pickup and delivery by post."""
    data = applicant_data(**{**POSTAL_DATA, **overrides})
    kwargs = {
        "procedure_code": catalog.code,
        "applicant_user": catalog.citizen,
        "data": data,
        "files": {"to-khai": [pdf()]},
        "channel": FilingChannel.ONLINE,
        "actor": catalog.citizen,
    }
    if commit is None:
        return file_dossier(**kwargs)
    with commit():
        return file_dossier(**kwargs)
