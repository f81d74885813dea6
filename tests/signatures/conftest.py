"""A test PKI built once per session with ``cryptography`` (ECDSA P-256: milliseconds), and the
fixtures that register it in the database and sign with it through the real provider."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from portal.models import Role
from signatures import pki
from signatures.sample_pdf import one_page_pdf
from tests.factories import AgencyFactory, staff_user
from tests.signatures.factories import register_signer, register_trust

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Issued:
    key: pki.PrivateKey
    cert: x509.Certificate

    @property
    def pem(self) -> str:
        return pki.to_pem(self.cert)


@dataclass(frozen=True)
class PkiSet:
    root: Issued
    intermediate: Issued
    leader: Issued
    clerk: Issued
    expired: Issued
    expires_soon_after_tsa: Issued
    stranger_root: Issued
    stranger: Issued
    tsa: Issued


def _tsa(root: Issued) -> Issued:
    # pyHanko's DummyTimeStamper signs with RSA only: one 2048-bit key per session.
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(pki.make_name("Test TSA"))
        .issuer_name(root.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - datetime.timedelta(days=400))
        .not_valid_after(NOW + datetime.timedelta(days=400))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root.key, hashes.SHA256())
    )
    return Issued(key, cert)


@pytest.fixture(scope="session")
def test_pki() -> PkiSet:
    since = NOW - datetime.timedelta(days=1000)
    root = Issued(*pki.build_ca("Test Government Root CA", not_before=since, days=5000))
    inter = Issued(
        *pki.build_ca(
            "Test Issuing CA",
            issuer=root.cert,
            issuer_key=root.key,
            path_length=0,
            not_before=since,
            days=4000,
        )
    )

    def signer(name: str, **kwargs) -> Issued:
        return Issued(*pki.issue_signer(name, issuer=inter.cert, issuer_key=inter.key, **kwargs))

    stranger_root = Issued(*pki.build_ca("Test Government Root CA"))  # a look-alike name
    return PkiSet(
        root=root,
        intermediate=inter,
        leader=signer(
            "Đặng Văn Khoa", organization="Sở Tài nguyên và Môi trường", title="Phó Giám đốc Sở"
        ),
        clerk=signer("Hoàng Thị Lan", organization="Sở Tài nguyên và Môi trường", title="Văn thư"),
        expired=signer(
            "Lê Văn Cũ",
            not_before=NOW - datetime.timedelta(days=400),
            not_after=NOW - datetime.timedelta(days=1),
        ),
        expires_soon_after_tsa=signer(
            "Trần Thị Dấu",
            not_before=NOW - datetime.timedelta(days=300),
            not_after=NOW - datetime.timedelta(days=100),
        ),
        stranger_root=stranger_root,
        stranger=Issued(
            *pki.issue_signer("Kẻ Giả Mạo", issuer=stranger_root.cert, issuer_key=stranger_root.key)
        ),
        tsa=_tsa(root),
    )


def asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(pki.to_der(cert))


def asn1_key(key: pki.PrivateKey) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(
        key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture
def pdf() -> bytes:
    return one_page_pdf("QUYET DINH", "Cap giay chung nhan quyen su dung dat")


@pytest.fixture
def trusted(db, test_pki):
    """The test root as an active trust anchor, with its intermediate registered."""
    return register_trust(test_pki)


@pytest.fixture
def tnmt(db):
    return AgencyFactory(code="H36.01", name="Sở Tài nguyên và Môi trường")


@pytest.fixture
def leader(db, tnmt):
    return staff_user(tnmt, Role.LEADER, username="leader.test", full_name="Đặng Văn Khoa")


@pytest.fixture
def clerk(db, tnmt):
    return staff_user(tnmt, Role.CLERK, username="clerk.test", full_name="Hoàng Thị Lan")


@pytest.fixture
def leader_cert(test_pki, leader, tnmt):
    return register_signer(test_pki.leader, test_pki, leader, title="Phó Giám đốc Sở", agency=tnmt)


@pytest.fixture
def clerk_cert(test_pki, clerk, tnmt):
    return register_signer(test_pki.clerk, test_pki, clerk, title="Văn thư", agency=tnmt)


def memory_signer(issued: Issued, test_pki: PkiSet, *, chain: bool = True):
    """A pyHanko signer holding ``issued``'s key in memory (for certificates the service
    refuses to use, e.g. expired ones, or from a CA the registry does not know)."""
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    others = [asn1_cert(test_pki.intermediate.cert)] if chain else []
    return SimpleSigner(
        signing_cert=asn1_cert(issued.cert),
        signing_key=asn1_key(issued.key),
        cert_registry=SimpleCertificateStore.from_certs(others),
    )
