"""The demo PKI: a root "Demo Government CA", an issuing intermediate, and signing certificates
for the demo officials ``leader.tnmt`` and ``clerk.tnmt``. Built offline, idempotent.

The CA keys are kept like any other key, by the local PKCS#12 provider (encrypted, private
storage), so a later run can issue a certificate for a new demo official under the same root.
A run that finds the root, the intermediate and a usable certificate per official changes
nothing. The demo root is registered as a trust anchor: never do that on a production server.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from portal.models import StaffMembership, User
from signatures import pki, services
from signatures.errors import ProviderUnavailable
from signatures.models import IntermediateCertificate, SigningCertificate, TrustAnchor
from signatures.providers import LocalPkcs12Provider

ROOT_CN = "Demo Government CA"
INTERMEDIATE_CN = "Demo Government Issuing CA"
ORGANIZATION = "Một Cửa – dữ liệu thử nghiệm"
DEMO_SIGNERS = ("leader.tnmt", "clerk.tnmt")
# A certificate closer than this to its end is replaced on the next run.
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass
class DemoPki:
    root: TrustAnchor
    intermediate: IntermediateCertificate
    certificates: dict[str, SigningCertificate] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)


def _usable_ca(provider: LocalPkcs12Provider, records) -> tuple:
    """The first record whose key is still in the storage, with that key and certificate."""
    soon = timezone.now() + RENEW_BEFORE
    for record in records.filter(is_active=True, not_after__gt=soon).order_by("-not_after"):
        path = provider.key_path(record.fingerprint)
        if provider.has_key(path):
            key, cert = provider.load_private_key(path)
            return record, key, cert
    return None, None, None


def _root(provider: LocalPkcs12Provider, created: list[str]):
    records = TrustAnchor.objects.filter(subject_cn=ROOT_CN)
    anchor, key, cert = _usable_ca(provider, records)
    if anchor is not None:
        return anchor, key, cert
    records.update(is_active=False)  # an older demo root whose key is gone
    key, cert = pki.build_ca(ROOT_CN, organization=ORGANIZATION, days=20 * 365)
    provider.store_key(key, cert)
    anchor = services.register_trust_anchor(
        pki.to_pem(cert),
        name=ROOT_CN,
        note="Demo only (issue_demo_pki). Never trust it on a production server.",
    )
    created.append(f"trust anchor {ROOT_CN}")
    return anchor, key, cert


def _intermediate(provider: LocalPkcs12Provider, root, root_key, root_cert, created: list[str]):
    records = IntermediateCertificate.objects.filter(
        subject_cn=INTERMEDIATE_CN, issuer=root.subject
    )
    record, key, cert = _usable_ca(provider, records)
    if record is not None:
        return record, key, cert
    key, cert = pki.build_ca(
        INTERMEDIATE_CN,
        issuer=root_cert,
        issuer_key=root_key,
        organization=ORGANIZATION,
        days=10 * 365,
        path_length=0,
    )
    provider.store_key(key, cert, [root_cert])
    record = services.register_intermediate(pki.to_pem(cert))
    created.append(f"intermediate {INTERMEDIATE_CN}")
    return record, key, cert


def _certificate_for(
    user: User, provider: LocalPkcs12Provider, inter, inter_key, inter_cert, root_cert, created
) -> SigningCertificate:
    soon = timezone.now() + RENEW_BEFORE
    existing = (
        SigningCertificate.objects.filter(
            user=user, is_active=True, issuer=inter.subject, not_after__gt=soon
        )
        .order_by("-not_after")
        .first()
    )
    if existing is not None and provider.has_key(existing.key_reference):
        return existing
    membership = (
        StaffMembership.objects.filter(user=user, is_active=True)
        .select_related("agency")
        .order_by("pk")
        .first()
    )
    agency = membership.agency if membership else None
    title = membership.title if membership else ""
    key, cert = pki.issue_signer(
        user.get_full_name(),
        issuer=inter_cert,
        issuer_key=inter_key,
        organization=agency.name if agency else "",
        title=title,
        email=user.email,
        locality="Lâm Đồng",
    )
    reference = provider.store_key(key, cert, [inter_cert, root_cert])
    certificate = services.register_signing_certificate(
        pki.to_pem(cert),
        user=user,
        title=title,
        agency=agency,
        provider=LocalPkcs12Provider.name,
        key_reference=reference,
    )
    created.append(f"signing certificate of {user.username}")
    return certificate


@transaction.atomic
def issue_demo_pki(usernames: tuple[str, ...] = DEMO_SIGNERS) -> DemoPki:
    """Create what is missing of the demo PKI; returns it with the list of what was created."""
    provider = LocalPkcs12Provider()
    created: list[str] = []
    root, root_key, root_cert = _root(provider, created)
    inter, inter_key, inter_cert = _intermediate(provider, root, root_key, root_cert, created)
    pki_state = DemoPki(root=root, intermediate=inter, created=created)
    for user in User.objects.filter(username__in=usernames).order_by("username"):
        pki_state.certificates[user.username] = _certificate_for(
            user, provider, inter, inter_key, inter_cert, root_cert, created
        )
    return pki_state


def seed_pki(layout: str, stdout: TextIO | None = None) -> None:
    """The ``seed_demo`` hook (settings.DEMO_SEEDERS)."""
    try:
        state = issue_demo_pki()
    except ProviderUnavailable as exc:
        if stdout is not None:
            stdout.write(f"Demo PKI skipped: {exc.message}\n")
        return
    if stdout is not None:
        done = ", ".join(state.created) if state.created else "nothing new"
        signers = ", ".join(sorted(state.certificates)) or "none"
        stdout.write(f"Demo PKI ({ROOT_CN}): {done}; signers: {signers}.\n")
