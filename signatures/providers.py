"""Signing providers: where an official's private key lives and how it signs.

The rest of the app only asks a provider for a pyHanko ``Signer`` for a certificate; the key
never leaves the provider. ``SIGNATURES_PROVIDERS`` maps provider names (stored on each
``SigningCertificate``) to classes:

- ``local-pkcs12`` (``LocalPkcs12Provider``): PKCS#12 files encrypted with
  ``SIGNATURES_PKCS12_PASSWORD`` under the private storage (``keys/``). For the demo and tests,
  or a province that keeps keys on the server. Refuses the development password outside DEBUG.
- ``remote`` (``RemoteSigningProvider``): the interface for a USB-token gateway or a remote
  signing service. It is a documented skeleton and says so when selected: docs/signatures.md
  explains how to implement it with pyHanko's ``PKCS11Signer`` or ``CSCSigner``.
"""

from __future__ import annotations

import contextlib
import logging
import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from pyhanko.sign.signers import Signer, SimpleSigner

from signatures import pki
from signatures.conf import DEV_PKCS12_PASSWORD, setting
from signatures.errors import (
    ProviderNotConfigured,
    ProviderNotImplemented,
    ProviderUnavailable,
    SigningKeyUnavailable,
)

if TYPE_CHECKING:
    from cryptography import x509

    from signatures.models import SigningCertificate

logger = logging.getLogger(__name__)

KEYS_DIR = "keys"


@runtime_checkable
class SigningProvider(Protocol):
    """What the signing service needs from wherever a key is kept."""

    name: str

    def signer_for(self, certificate: SigningCertificate) -> Signer:
        """A pyHanko signer that signs with ``certificate``'s private key.

        Raises ``ProviderUnavailable`` (or a subclass) with a Vietnamese message when the key
        cannot be used now; never returns a signer for a different certificate.
        """
        ...


def get_provider(name: str | None = None) -> SigningProvider:
    """The provider registered under ``name`` (default: ``SIGNATURES_DEFAULT_PROVIDER``)."""
    name = name or setting("SIGNATURES_DEFAULT_PROVIDER")
    path = setting("SIGNATURES_PROVIDERS").get(name)
    if not path:
        raise ProviderNotConfigured(
            _("Nhà cung cấp ký số “%(name)s” chưa được khai báo trong SIGNATURES_PROVIDERS.")
            % {"name": name}
        )
    provider = import_string(path)()
    provider.name = name
    return provider


def provider_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in setting("SIGNATURES_PROVIDERS")]


class LocalPkcs12Provider:
    """PKCS#12 files in the private storage, encrypted at rest with a password from settings.

    The storage is Django's ``private`` storage (``PRIVATE_MEDIA_ROOT``), which is never served;
    files are written with mode 0600 where the storage is a local directory.
    """

    name = "local-pkcs12"

    def __init__(self) -> None:
        self.storage = storages["private"]

    # --- configuration ---

    def _password(self) -> bytes:
        password = setting("SIGNATURES_PKCS12_PASSWORD") or ""
        if not password:
            raise ProviderNotConfigured(_("Chưa đặt mật khẩu bảo vệ tệp khóa ký số."))
        production = not settings.DEBUG and not getattr(settings, "TESTING", False)
        if password == DEV_PKCS12_PASSWORD and production:
            raise ProviderNotConfigured(
                _(
                    "Mật khẩu bảo vệ tệp khóa ký số đang là giá trị dùng thử: hãy đặt "
                    "SIGNATURES_PKCS12_PASSWORD trên máy chủ thật."
                )
            )
        return password.encode("utf-8")

    @staticmethod
    def key_path(fingerprint: str) -> str:
        return f"{KEYS_DIR}/{fingerprint}.p12"

    # --- keys ---

    def store_key(
        self,
        private_key: pki.PrivateKey,
        certificate: x509.Certificate,
        chain: list[x509.Certificate] | None = None,
    ) -> str:
        """Encrypt and store a key with its certificate; returns the key reference."""
        data = pkcs12.serialize_key_and_certificates(
            name=pki.common_name(certificate.subject).encode("utf-8"),
            key=private_key,
            cert=certificate,
            cas=chain or None,
            encryption_algorithm=serialization.BestAvailableEncryption(self._password()),
        )
        path = self.key_path(pki.fingerprint(certificate))
        if self.storage.exists(path):
            self.storage.delete(path)
        saved = self.storage.save(path, ContentFile(data))
        self._restrict(saved)
        return saved

    def _restrict(self, path: str) -> None:
        # Remote storages (S3 …) have no local path: their own access policy applies.
        with contextlib.suppress(NotImplementedError, OSError):
            os.chmod(self.storage.path(path), 0o600)

    def has_key(self, reference: str) -> bool:
        return bool(reference) and self.storage.exists(reference)

    def load_private_key(self, reference: str) -> tuple[pki.PrivateKey, x509.Certificate]:
        """The key and certificate of a stored file (the demo CA uses it to issue more)."""
        key, cert, _chain = pkcs12.load_key_and_certificates(
            self._read(reference), self._password()
        )
        return key, cert

    def _read(self, reference: str) -> bytes:
        if not self.has_key(reference):
            raise SigningKeyUnavailable(_("Không tìm thấy tệp khóa của chứng thư số."))
        with self.storage.open(reference, "rb") as handle:
            return handle.read()

    def signer_for(self, certificate: SigningCertificate) -> Signer:
        data = self._read(certificate.key_reference)
        try:
            signer = SimpleSigner.load_pkcs12_data(
                data, other_certs=[], passphrase=self._password()
            )
        except ValueError as exc:
            # The message must not carry the password or key material: only the reference.
            logger.warning("Could not open the PKCS#12 file %s", certificate.key_reference)
            raise SigningKeyUnavailable() from exc
        if signer.signing_cert.sha256.hex() != certificate.fingerprint:
            raise SigningKeyUnavailable(_("Tệp khóa không khớp với chứng thư số đã đăng ký."))
        return signer


class RemoteSigningProvider:
    """Skeleton of a provider whose keys stay in a USB token or a remote signing service.

    A deployment implements ``signer_for`` (docs/signatures.md): return a pyHanko ``Signer``
    whose ``async_sign_raw`` sends the digest to the token/service and returns the signature,
    e.g. ``pyhanko.sign.pkcs11.PKCS11Signer`` for a token reachable over PKCS#11 or
    ``pyhanko.sign.signers.csc_signer.CSCSigner`` for a Cloud Signature Consortium API.
    ``SIGNATURES_REMOTE_SIGNING`` carries its options (service URL, client id, timeouts);
    credentials come from the environment, never from the database.
    """

    name = "remote"

    def __init__(self) -> None:
        self.options: dict = dict(setting("SIGNATURES_REMOTE_SIGNING") or {})

    def is_configured(self) -> bool:
        return bool(self.options.get("url"))

    def signer_for(self, certificate: SigningCertificate) -> Signer:
        if not self.is_configured():
            raise ProviderNotConfigured(
                _(
                    "Dịch vụ ký số từ xa (USB token / ký số từ xa) chưa được cấu hình: "
                    "khai báo SIGNATURES_REMOTE_SIGNING theo docs/signatures.md."
                )
            )
        raise ProviderNotImplemented()


__all__ = [
    "LocalPkcs12Provider",
    "ProviderUnavailable",
    "RemoteSigningProvider",
    "SigningProvider",
    "get_provider",
    "provider_choices",
]
