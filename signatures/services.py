"""Business operations of the signatures app: the certificate registry and signing for a user.

The dossiers app calls ``sign_document`` with the bytes of a result and the signing official;
this app knows nothing of dossiers (shared/docs/architecture.md).
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.serialization import pkcs12
from django.db import transaction
from django.utils.translation import gettext as _

from portal.models import Agency, User
from signatures import pki
from signatures.conf import setting
from signatures.errors import InvalidCertificate, NoSigningCertificate
from signatures.models import (
    IntermediateCertificate,
    SignatureRecord,
    SigningCertificate,
    TrustAnchor,
)
from signatures.providers import LocalPkcs12Provider, get_provider
from signatures.signing import next_field_name, sign_pdf


@transaction.atomic
def register_trust_anchor(pem: str | bytes, *, name: str = "", note: str = "") -> TrustAnchor:
    """Add (or re-activate) a trust anchor; it must be a CA certificate."""
    info = pki.parse_certificate(pem)
    if not info.is_ca:
        raise InvalidCertificate(_("Chứng thư gốc tin cậy phải là chứng thư của một CA."))
    anchor = TrustAnchor.objects.filter(fingerprint=info.fingerprint_sha256).first()
    anchor = anchor or TrustAnchor(name=name or info.common_name, note=note)
    anchor.apply_info(info)
    anchor.is_active = True
    anchor.save()
    return anchor


@transaction.atomic
def register_intermediate(pem: str | bytes) -> IntermediateCertificate:
    info = pki.parse_certificate(pem)
    if not info.is_ca:
        raise InvalidCertificate(_("Chứng thư CA trung gian phải là chứng thư của một CA."))
    record = IntermediateCertificate.objects.filter(fingerprint=info.fingerprint_sha256).first()
    record = record or IntermediateCertificate()
    record.apply_info(info)
    record.is_active = True
    record.save()
    return record


@transaction.atomic
def register_signing_certificate(
    pem: str | bytes,
    *,
    user: User,
    title: str = "",
    agency: Agency | None = None,
    provider: str | None = None,
    key_reference: str = "",
) -> SigningCertificate:
    """Register an official's certificate whose key ``provider`` holds under ``key_reference``."""
    info = pki.parse_certificate(pem)
    if info.is_ca:
        raise InvalidCertificate(_("Chứng thư ký số của cán bộ không được là chứng thư CA."))
    provider = provider or setting("SIGNATURES_DEFAULT_PROVIDER")
    get_provider(provider)  # an unknown provider name is refused here, not at signing time
    certificate = SigningCertificate.objects.filter(fingerprint=info.fingerprint_sha256).first()
    certificate = certificate or SigningCertificate(user=user)
    certificate.apply_info(info)
    certificate.user = user
    certificate.title = title
    certificate.agency = agency
    certificate.provider = provider
    certificate.key_reference = key_reference
    certificate.is_active = True
    certificate.save()
    return certificate


def active_certificate_for(user: User) -> SigningCertificate:
    """The user's own usable certificate (the one valid longest); a domain error if none."""
    certificate = (
        SigningCertificate.objects.usable_by(user)
        .select_related("agency", "user")
        .order_by("-not_after", "-pk")
        .first()
    )
    if certificate is None:
        raise NoSigningCertificate()
    return certificate


def sign_document(
    pdf_bytes: bytes,
    user: User,
    *,
    reason: str,
    location: str,
    role_label: str = "",
    field_name: str | None = None,
) -> bytes:
    """Sign a PDF as ``user`` with their active certificate and record the signature.

    ``role_label`` (e.g. "Phó Giám đốc Sở", "Văn thư") is the title printed on the stamp;
    it defaults to the title registered with the certificate.
    """
    certificate = active_certificate_for(user)
    field_name = field_name or next_field_name(pdf_bytes)
    signed = sign_pdf(
        pdf_bytes,
        certificate,
        reason=reason,
        location=location,
        field_name=field_name,
        title=role_label,
    )
    with transaction.atomic():
        SignatureRecord.objects.create(
            certificate=certificate,
            user=user,
            field_name=field_name,
            reason=reason[:255],
            role_label=(role_label or certificate.title)[:200],
            document_sha256=hashlib.sha256(signed).hexdigest(),
        )
    return signed


def import_pkcs12(
    data: bytes,
    password: str,
    *,
    user: User,
    title: str = "",
    agency: Agency | None = None,
) -> SigningCertificate:
    """Take an official's PKCS#12 (.p12/.pfx) into the local provider, re-encrypted with
    ``SIGNATURES_PKCS12_PASSWORD``, and register its certificate for ``user``."""
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(
            data, password.encode("utf-8") if password else None
        )
    except ValueError as exc:
        raise InvalidCertificate(
            _("Không mở được tệp PKCS#12: sai mật khẩu hoặc tệp bị hỏng.")
        ) from exc
    if key is None or cert is None:
        raise InvalidCertificate(_("Tệp PKCS#12 không chứa khóa ký và chứng thư số."))
    provider = LocalPkcs12Provider()
    reference = provider.store_key(key, cert, list(chain))
    return register_signing_certificate(
        pki.to_pem(cert),
        user=user,
        title=title,
        agency=agency,
        provider=provider.name,
        key_reference=reference,
    )
