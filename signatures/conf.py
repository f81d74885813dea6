"""The app's settings with their defaults, so the app works even when settings.py names none.

portal/settings.py reads the production values from the environment (docs/signatures.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEV_PKCS12_PASSWORD = "dev-only-pkcs12-password"  # noqa: S105 - refused outside DEBUG

DEFAULTS: dict[str, Any] = {
    # RFC 3161 timestamp authority; empty = PAdES B-B (no timestamp), set = B-T.
    "SIGNATURES_TSA_URL": "",
    "SIGNATURES_TSA_TIMEOUT": 10,
    # Password of the PKCS#12 files the local provider keeps under PRIVATE_MEDIA_ROOT/keys.
    "SIGNATURES_PKCS12_PASSWORD": DEV_PKCS12_PASSWORD,
    # Provider name -> dotted path of a SigningProvider class (signatures/providers.py).
    "SIGNATURES_PROVIDERS": {
        "local-pkcs12": "signatures.providers.LocalPkcs12Provider",
        "remote": "signatures.providers.RemoteSigningProvider",
    },
    "SIGNATURES_DEFAULT_PROVIDER": "local-pkcs12",
    # Options of the remote signing service (USB token gateway / remote signing API).
    "SIGNATURES_REMOTE_SIGNING": {},
    # Verification of uploaded PDFs: size refused before parsing, and the time bound.
    "SIGNATURES_VERIFY_MAX_BYTES": 20 * 1024 * 1024,
    "SIGNATURES_VERIFY_TIMEOUT": 20,
    # "process": parse and validate in a child process killed at the timeout (default);
    # "thread": a worker thread the request stops waiting for (no fork available).
    "SIGNATURES_VERIFY_ISOLATION": "process",
    # Address space the verification child may add to the serving process's, bytes (0 = none).
    "SIGNATURES_VERIFY_MEMORY_LIMIT": 1024 * 1024 * 1024,
    # The font of the visible stamp: needs Vietnamese glyphs and unitsPerEm = 1000.
    "SIGNATURES_STAMP_FONT": "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
}


def setting(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])
