"""Factories of the payments tests: a level-4 procedure with a fee, dossiers filed online under
it, payments in any state, and the sandbox driven the way a payer and the gateway would."""

from __future__ import annotations

import io
from urllib.parse import parse_qsl, urlsplit

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfWriter

from dossiers.filing import file_dossier
from dossiers.models import FilingChannel
from dossiers.models_payments import PaymentPurpose, PaymentStatus, PaymentTransaction
from dossiers.payments.gateways import sandbox
from procedures.models import Channel, ServiceLevel
from tests.dossiers.factories import Catalog, applicant_data, pdf

FEE = 100_000
WEBHOOK_URL = "/api/v1/payments/webhook/sandbox/"


def level4_catalog(fee: int = FEE, **version_fields) -> Catalog:
    """A published level-4 procedure with online payment and ``fee`` on every channel."""
    version_fields.setdefault("service_level", ServiceLevel.FULL)
    version_fields.setdefault("online_payment", True)
    catalog = Catalog(**version_fields)
    Channel.objects.filter(version=catalog.version).update(
        fee_vnd=fee, fee_description="Lệ phí cấp giấy"
    )
    return catalog


def file_online(catalog: Catalog, user=None):
    user = user or catalog.citizen
    return file_dossier(
        procedure_code=catalog.code,
        applicant_user=user,
        data=applicant_data(),
        files={"to-khai": [pdf()]},
        channel=FilingChannel.ONLINE,
        actor=user,
    )


def real_pdf(name: str = "to-khai.pdf") -> SimpleUploadedFile:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


class PaymentFactory(factory.django.DjangoModelFactory):
    """A transaction written directly (history rows, query counts); no gateway involved."""

    class Meta:
        model = PaymentTransaction

    reference = factory.Sequence(lambda n: f"TTFACTORY{n:08d}")
    gateway = "sandbox"
    purpose = PaymentPurpose.REQUEST
    amount_vnd = FEE
    description = "Thanh toán thử"
    status = PaymentStatus.FAILED
    payer_name = "Nguyễn Thị Hoà"
    status_message = "Thẻ bị từ chối"
    settled_at = factory.LazyFunction(timezone.now)


# --- driving the sandbox gateway ------------------------------------------------------------


def split(url: str) -> tuple[str, dict]:
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query))


def return_query(reference: str) -> dict:
    """The signed parameters the sandbox appends to our return URL for a decided payment."""
    payment = sandbox.SandboxPayment.objects.get(reference=reference)
    return sandbox.return_params(payment)


def signed_webhook(reference: str) -> tuple[bytes, dict]:
    payment = sandbox.SandboxPayment.objects.get(reference=reference)
    body = sandbox.webhook_body(payment)
    return body, sandbox.signed_headers(body)


def post_webhook(body: bytes, headers: dict, client: Client | None = None):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return (client or Client()).post(
        WEBHOOK_URL, data=body, content_type="application/json", **extra
    )
