import datetime

import pytest
from django.test import Client
from django.utils import timezone

from dossiers.payments.gateways import sandbox
from dossiers.sms import SandboxSmsBackend
from tests.payments.factories import WEBHOOK_URL, level4_catalog


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sandbox_sms(settings):
    settings.SMS_BACKEND = "sandbox"
    SandboxSmsBackend.reset()
    yield
    SandboxSmsBackend.reset()


@pytest.fixture(autouse=True)
def _payments_settings(settings):
    settings.PAYMENTS_SANDBOX_SECRET = "test-sandbox-secret"
    settings.PAYMENT_GATEWAY = "sandbox"
    settings.PAYMENT_GATEWAYS = {"sandbox": "dossiers.payments.gateways.sandbox.SandboxGateway"}
    settings.PAYMENTS_REQUEST_UNPAID_AT_INTAKE = True


class WebhookOutbox:
    """The sandbox's notifications, posted through the Django test client to our webhook (the
    same bytes and signature as over HTTP); ``hold()`` keeps them for a later ``flush()``."""

    def __init__(self):
        self.sent: list[tuple[int, dict]] = []
        self.held: list[tuple[bytes, dict]] = []
        self.holding = False

    def __call__(self, body: bytes, headers: dict) -> tuple[int, str]:
        if self.holding:
            self.held.append((body, headers))
            return 202, "held"
        return self.post(body, headers)

    def post(self, body: bytes, headers: dict) -> tuple[int, str]:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        response = Client().post(WEBHOOK_URL, data=body, content_type="application/json", **extra)
        self.sent.append((response.status_code, response.json()))
        return response.status_code, response.content.decode()

    def hold(self) -> None:
        self.holding = True

    def flush(self) -> list[tuple[int, dict]]:
        held, self.held, self.holding = self.held, [], False
        return [self.post(body, headers) for body, headers in held]


@pytest.fixture(autouse=True)
def webhook_outbox(monkeypatch) -> WebhookOutbox:
    """Never an HTTP call from tests: the sandbox posts through the test client."""
    outbox = WebhookOutbox()
    monkeypatch.setattr(sandbox, "default_sender", lambda: outbox)
    return outbox


class Clock:
    def __init__(self, start: datetime.datetime):
        self.now = start

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
    return level4_catalog()
