"""Signing providers: keys stay encrypted in the provider; remote signing says it is not there."""

import os

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.core.files.storage import storages
from pyhanko.sign.signers import Signer

from signatures.errors import (
    ProviderNotConfigured,
    ProviderNotImplemented,
    ProviderUnavailable,
    SigningKeyUnavailable,
)
from signatures.providers import LocalPkcs12Provider, SigningProvider, get_provider
from signatures.signing import sign_pdf

from .factories import SigningCertificateFactory

pytestmark = pytest.mark.django_db


def test_local_key_file_is_encrypted_with_the_configured_password(leader_cert, settings):
    storage = storages["private"]
    data = storage.open(leader_cert.key_reference, "rb").read()

    assert leader_cert.key_reference.startswith("keys/")
    assert b"PRIVATE KEY" not in data
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(data, b"wrong password")
    key, cert, _chain = pkcs12.load_key_and_certificates(
        data, settings.SIGNATURES_PKCS12_PASSWORD.encode()
    )
    assert key is not None
    assert oct(os.stat(storage.path(leader_cert.key_reference)).st_mode & 0o777) == "0o600"


def test_local_provider_gives_a_signer_for_exactly_that_certificate(leader_cert):
    signer = get_provider(leader_cert.provider).signer_for(leader_cert)
    assert isinstance(signer, Signer)
    assert signer.signing_cert.sha256.hex() == leader_cert.fingerprint


def test_a_key_file_of_another_certificate_is_refused(leader_cert, clerk_cert):
    leader_cert.key_reference = clerk_cert.key_reference
    with pytest.raises(SigningKeyUnavailable, match="không khớp"):
        LocalPkcs12Provider().signer_for(leader_cert)


def test_a_missing_key_file_is_a_clear_error(leader_cert):
    storages["private"].delete(leader_cert.key_reference)
    with pytest.raises(SigningKeyUnavailable, match="Không tìm thấy tệp khóa"):
        LocalPkcs12Provider().signer_for(leader_cert)


def test_a_wrong_password_is_a_clear_error_that_does_not_leak_it(leader_cert, settings):
    settings.SIGNATURES_PKCS12_PASSWORD = "another-secret-value"
    with pytest.raises(SigningKeyUnavailable) as raised:
        LocalPkcs12Provider().signer_for(leader_cert)
    assert "another-secret-value" not in str(raised.value)


def test_production_refuses_the_development_password(leader_cert, settings, pdf):
    settings.DEBUG = False
    settings.TESTING = False
    settings.SIGNATURES_PKCS12_PASSWORD = "dev-only-pkcs12-password"
    with pytest.raises(ProviderNotConfigured, match="SIGNATURES_PKCS12_PASSWORD"):
        sign_pdf(pdf, leader_cert, reason="x", location="y")


def test_remote_provider_unconfigured_says_so(settings):
    settings.SIGNATURES_REMOTE_SIGNING = {}
    certificate = SigningCertificateFactory(provider="remote")
    with pytest.raises(ProviderNotConfigured, match="chưa được cấu hình"):
        get_provider("remote").signer_for(certificate)


def test_remote_provider_configured_is_still_only_a_skeleton(settings):
    settings.SIGNATURES_REMOTE_SIGNING = {"url": "https://ky-so.example.gov.vn/csc/v1"}
    certificate = SigningCertificateFactory(provider="remote")
    with pytest.raises(ProviderNotImplemented, match="docs/signatures.md"):
        get_provider("remote").signer_for(certificate)


def test_unknown_provider_name_is_refused():
    with pytest.raises(ProviderNotConfigured, match="usb-token"):
        get_provider("usb-token")


@pytest.mark.parametrize("name", ["local-pkcs12", "remote"])
def test_every_registered_provider_honours_the_contract(name, leader_cert, settings):
    """Contract: a provider returns a signer for that very certificate, or a ProviderUnavailable."""
    provider = get_provider(name)
    assert isinstance(provider, SigningProvider)
    assert provider.name == name
    leader_cert.provider = name
    try:
        signer = provider.signer_for(leader_cert)
    except ProviderUnavailable as exc:
        assert exc.message
        assert exc.status_code == 503
    else:
        assert signer.signing_cert.sha256.hex() == leader_cert.fingerprint


def test_importing_an_officials_pkcs12_re_encrypts_it_for_the_local_provider(
    test_pki, leader, tmp_path, monkeypatch, trusted, pdf
):
    from io import StringIO

    from cryptography.hazmat.primitives import serialization
    from django.core.management import call_command

    from signatures.verification import verify_pdf

    original = pkcs12.serialize_key_and_certificates(
        b"leader",
        test_pki.leader.key,
        test_pki.leader.cert,
        [test_pki.intermediate.cert],
        serialization.BestAvailableEncryption(b"token-pin-1234"),
    )
    path = tmp_path / "leader.p12"
    path.write_bytes(original)
    monkeypatch.setenv("PKCS12_IMPORT_PASSWORD", "token-pin-1234")
    out = StringIO()
    call_command("import_signing_key", user=leader.username, file=str(path), stdout=out)

    certificate = leader.signing_certificates.get()
    stored = storages["private"].open(certificate.key_reference, "rb").read()
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(stored, b"token-pin-1234")
    signed = sign_pdf(pdf, certificate, reason="x", location="y")
    assert verify_pdf(signed).verdict == "valid"
    assert "Registered Đặng Văn Khoa" in out.getvalue()


def test_importing_with_a_wrong_password_is_refused(test_pki, leader, tmp_path, monkeypatch):
    from cryptography.hazmat.primitives import serialization
    from django.core.management import CommandError, call_command

    path = tmp_path / "leader.p12"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"leader",
            test_pki.leader.key,
            test_pki.leader.cert,
            None,
            serialization.BestAvailableEncryption(b"right"),
        )
    )
    monkeypatch.setenv("PKCS12_IMPORT_PASSWORD", "wrong")
    with pytest.raises(CommandError, match="sai mật khẩu"):
        call_command("import_signing_key", user=leader.username, file=str(path))
