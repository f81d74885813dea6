"""Factories of the signatures app: certificates are real X.509 (ECDSA P-256) built on the fly."""

from __future__ import annotations

import factory

from signatures import pki, services
from signatures.models import IntermediateCertificate, SigningCertificate, TrustAnchor
from signatures.providers import LocalPkcs12Provider
from tests.factories import UserFactory


class _CertificateFactory(factory.django.DjangoModelFactory):
    """Builds from ``pem``; the parsed fields come from the certificate, as in the admin."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        pem = kwargs.pop("pem")
        instance = model_class(*args, **kwargs)
        instance.apply_info(pki.parse_certificate(pem))
        instance.save()
        return instance


class TrustAnchorFactory(_CertificateFactory):
    class Meta:
        model = TrustAnchor

    name = factory.Sequence(lambda n: f"Root CA {n}")
    pem = factory.LazyAttribute(lambda o: pki.to_pem(pki.build_ca(o.name)[1]))


class IntermediateFactory(_CertificateFactory):
    class Meta:
        model = IntermediateCertificate

    pem = factory.LazyFunction(lambda: pki.to_pem(pki.build_ca("Issuing CA")[1]))


def _signer_pem(name: str) -> str:
    ca_key, ca = pki.build_ca("Factory CA")
    return pki.to_pem(pki.issue_signer(name, issuer=ca, issuer_key=ca_key)[1])


class SigningCertificateFactory(_CertificateFactory):
    """A registered certificate without a stored key (for registry and listing tests)."""

    class Meta:
        model = SigningCertificate

    user = factory.SubFactory(UserFactory)
    title = "Chuyên viên"
    provider = LocalPkcs12Provider.name
    key_reference = ""
    pem = factory.LazyAttribute(lambda o: _signer_pem(o.user.get_full_name()))


def register_trust(test_pki) -> TrustAnchor:
    anchor = services.register_trust_anchor(test_pki.root.pem, name="Test root")
    services.register_intermediate(test_pki.intermediate.pem)
    return anchor


def register_signer(issued, test_pki, user, *, title: str = "", agency=None) -> SigningCertificate:
    """Store ``issued``'s key with the local provider and register its certificate."""
    reference = LocalPkcs12Provider().store_key(
        issued.key, issued.cert, [test_pki.intermediate.cert, test_pki.root.cert]
    )
    return services.register_signing_certificate(
        issued.pem,
        user=user,
        title=title,
        agency=agency,
        provider=LocalPkcs12Provider.name,
        key_reference=reference,
    )
