"""X.509 helpers on ``cryptography``: read a certificate's facts, and build small PKIs
(the demo CA, and the test CAs). Nothing here touches the database.

Keys are ECDSA P-256: fast to generate and to sign with, and accepted by pyHanko. The
government CA issues RSA keys; both work the same everywhere else in the app.
"""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signatures.errors import InvalidCertificate

PrivateKey = ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class CertificateInfo:
    """The facts of one certificate that the registry stores and shows."""

    subject: str
    common_name: str
    issuer: str
    serial_number: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    fingerprint_sha256: str
    is_ca: bool
    pem: str

    def is_valid_at(self, moment: datetime.datetime) -> bool:
        return self.not_before <= moment <= self.not_after


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


_SHORT_NAMES = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.TITLE: "T",
    NameOID.EMAIL_ADDRESS: "E",
    NameOID.USER_ID: "UID",
    NameOID.SERIAL_NUMBER: "SERIALNUMBER",
}


def name_to_text(name: x509.Name) -> str:
    """``CN=…, O=…, C=VN`` with the Vietnamese letters kept (RFC 4514 would escape them)."""
    parts = []
    for rdn in reversed(name.rdns):
        for attribute in rdn:
            short = _SHORT_NAMES.get(attribute.oid, attribute.oid.dotted_string)
            value = attribute.value
            parts.append(f"{short}={value if isinstance(value, str) else value.hex()}")
    return ", ".join(parts)


def common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def load_certificate(data: bytes | str) -> x509.Certificate:
    """A certificate from PEM (or DER) bytes; ``InvalidCertificate`` otherwise."""
    raw = data.encode("ascii", "replace") if isinstance(data, str) else bytes(data)
    try:
        if b"-----BEGIN CERTIFICATE-----" in raw:
            return x509.load_pem_x509_certificate(raw)
        return x509.load_der_x509_certificate(raw)
    except ValueError as exc:
        raise InvalidCertificate() from exc


def to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def to_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def describe(cert: x509.Certificate) -> CertificateInfo:
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    return CertificateInfo(
        subject=_nfc(name_to_text(cert.subject)),
        common_name=_nfc(common_name(cert.subject)),
        issuer=_nfc(name_to_text(cert.issuer)),
        serial_number=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        fingerprint_sha256=fingerprint(cert),
        is_ca=is_ca,
        pem=to_pem(cert),
    )


def parse_certificate(data: bytes | str) -> CertificateInfo:
    return describe(load_certificate(data))


# --- Building a PKI (demo and tests) --------------------------------------------------------


def new_key() -> PrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def make_name(
    common: str,
    *,
    organization: str = "",
    title: str = "",
    locality: str = "",
    email: str = "",
) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, "VN")]
    if locality:
        attributes.append(x509.NameAttribute(NameOID.LOCALITY_NAME, _nfc(locality)))
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _nfc(organization)))
    if title:
        attributes.append(x509.NameAttribute(NameOID.TITLE, _nfc(title)))
    if email:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, _nfc(common)))
    return x509.Name(attributes)


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=not ca,  # nonRepudiation: pyHanko requires it by default
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _build(
    subject: x509.Name,
    key: PrivateKey,
    *,
    issuer: x509.Certificate | None,
    issuer_key: PrivateKey | None,
    ca: bool,
    path_length: int | None,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> x509.Certificate:
    signing_key = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
        .add_extension(_key_usage(ca=ca), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(signing_key, hashes.SHA256())


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def build_ca(
    common: str,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key: PrivateKey | None = None,
    days: int = 3650,
    organization: str = "",
    path_length: int | None = None,
    not_before: datetime.datetime | None = None,
) -> tuple[PrivateKey, x509.Certificate]:
    """A self-signed root (no ``issuer``) or an intermediate CA signed by ``issuer_key``."""
    key = new_key()
    start = not_before or _now() - datetime.timedelta(hours=1)
    cert = _build(
        make_name(common, organization=organization),
        key,
        issuer=issuer,
        issuer_key=issuer_key,
        ca=True,
        path_length=path_length,
        not_before=start,
        not_after=start + datetime.timedelta(days=days),
    )
    return key, cert


def issue_signer(
    common: str,
    *,
    issuer: x509.Certificate,
    issuer_key: PrivateKey,
    organization: str = "",
    title: str = "",
    email: str = "",
    locality: str = "",
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    days: int = 3 * 365,
) -> tuple[PrivateKey, x509.Certificate]:
    """An official's signing certificate (KeyUsage digitalSignature + nonRepudiation)."""
    key = new_key()
    start = not_before or _now() - datetime.timedelta(hours=1)
    cert = _build(
        make_name(common, organization=organization, title=title, email=email, locality=locality),
        key,
        issuer=issuer,
        issuer_key=issuer_key,
        ca=False,
        path_length=None,
        not_before=start,
        not_after=not_after or start + datetime.timedelta(days=days),
    )
    return key, cert
