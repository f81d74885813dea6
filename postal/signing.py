"""Webhook signatures (interfaces.md): ``X-Postal-Signature: sha256=<hex>`` where ``<hex>`` is
HMAC-SHA256 of ``<X-Postal-Timestamp> + "." + <raw body>`` with ``POSTAL_WEBHOOK_SECRET``.

One module signs (the sandbox carrier, tests) and verifies (the webhook), so both sides can
never drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from django.conf import settings

TIMESTAMP_HEADER = "X-Postal-Timestamp"
SIGNATURE_HEADER = "X-Postal-Signature"
PREFIX = "sha256="


class SignatureError(Exception):
    """Why a request is not authentic; ``reason`` is a short machine-readable word."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def secret() -> bytes:
    return str(settings.POSTAL_WEBHOOK_SECRET).encode("utf-8")


def tolerance_seconds() -> int:
    return int(getattr(settings, "POSTAL_WEBHOOK_TOLERANCE_SECONDS", 300))


def compute(timestamp: str, body: bytes, key: bytes | None = None) -> str:
    message = timestamp.encode("ascii") + b"." + body
    return PREFIX + hmac.new(key or secret(), message, hashlib.sha256).hexdigest()


def signed_headers(body: bytes, *, timestamp: int | None = None, key: bytes | None = None) -> dict:
    """The two headers a carrier sends with ``body``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: compute(stamp, body, key)}


def verify(timestamp: str | None, signature: str | None, body: bytes, now: float | None = None):
    """Raise ``SignatureError`` unless the signature is ours and the timestamp fresh."""
    if not timestamp or not signature:
        raise SignatureError("missing")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("bad_timestamp")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_seconds():
        raise SignatureError("stale")
    if not signature.isascii():
        raise SignatureError("bad_signature")
    expected = compute(timestamp, body)
    # Constant time: the comparison does not tell an attacker how many characters matched.
    if not hmac.compare_digest(expected.encode("ascii"), signature.strip().lower().encode("ascii")):
        raise SignatureError("bad_signature")
