"""SMS adapters (architecture.md rule 6): a small interface, a registry chosen by the setting
``SMS_BACKEND`` (a registered name or a dotted path), and implementations that really work
without a provider: ``console`` logs the message, ``sandbox`` keeps it in memory (tests and
demos read ``SandboxSmsBackend.outbox``). A production gateway adds a class with ``send``.
Every implementation must pass the contract tests in tests/dossiers/test_notifications.py.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import ClassVar, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

MAX_SMS_CHARS = 640  # 10 UCS-2 segments; longer texts are cut with an ellipsis
_PHONE = re.compile(r"^(?:\+84|0)(\d{9,10})$")


class SmsError(Exception):
    """The message was not accepted; ``permanent`` ones are not worth retrying."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class SmsBackend(Protocol):
    name: str

    def send(self, phone: str, text: str) -> str:
        """Send ``text`` to ``phone``; return the provider's message id or raise SmsError."""


def normalize_phone(phone: str) -> str:
    """``0912345678`` / ``+84912345678`` → ``+84912345678``; SmsError (permanent) otherwise."""
    digits = re.sub(r"[\s.\-]", "", phone or "")
    match = _PHONE.match(digits)
    if not match:
        raise SmsError(f"invalid phone number {phone!r}", permanent=True)
    return "+84" + match.group(1)


def prepare_text(text: str) -> str:
    text = " ".join((text or "").split())
    if not text:
        raise SmsError("empty message", permanent=True)
    return text if len(text) <= MAX_SMS_CHARS else text[: MAX_SMS_CHARS - 1] + "…"


class ConsoleSmsBackend:
    """Writes the message to the log (the embedded/demo default)."""

    name = "console"

    def send(self, phone: str, text: str) -> str:
        number, body = normalize_phone(phone), prepare_text(text)
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("SMS %s to %s: %s", message_id, number, body)
        return message_id


class SandboxSmsBackend:
    """Keeps messages in ``outbox``; numbers listed in ``failing_numbers`` fail (temporarily),
    so tests and demos can exercise retries."""

    name = "sandbox"
    outbox: ClassVar[list[dict]] = []
    failing_numbers: ClassVar[set[str]] = set()

    def send(self, phone: str, text: str) -> str:
        number, body = normalize_phone(phone), prepare_text(text)
        if number in self.failing_numbers:
            raise SmsError(f"sandbox gateway unavailable for {number}")
        message_id = f"sandbox-{uuid.uuid4().hex[:12]}"
        self.outbox.append({"id": message_id, "to": number, "text": body})
        return message_id

    @classmethod
    def reset(cls) -> None:
        cls.outbox.clear()
        cls.failing_numbers.clear()


REGISTRY: dict[str, type] = {
    ConsoleSmsBackend.name: ConsoleSmsBackend,
    SandboxSmsBackend.name: SandboxSmsBackend,
}


def get_sms_backend(name: str | None = None) -> SmsBackend:
    name = name or getattr(settings, "SMS_BACKEND", "console") or "console"
    backend_class = REGISTRY.get(name) or import_string(name)
    return backend_class()
