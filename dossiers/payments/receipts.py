"""E-receipts (biên lai điện tử) of successful payments.

The number is allocated in the transaction that records the success (``issue``: a yearly
sequence per series, ``PAYMENTS_RECEIPT_SERIES``, from a counter row locked until commit, never
``max()+1``). The PDF is rendered after commit by a task, or on the first download when the task
has not run yet (``ensure_rendered``: idempotent, the first stored file wins), with the official
documents' renderer (``dossiers.documents.rendering.html_to_pdf``: WeasyPrint, Vietnamese fonts,
the offline URL fetcher) so receipts look like every other form the portal issues.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from dossiers.attachments import private_storage
from dossiers.documents.context import agency_block, nfc, place_name, tracking_url
from dossiers.documents.sandbox import place_and_date, written_moment
from dossiers.models_payments import PaymentReceipt, PaymentReceiptCounter, PaymentTransaction
from dossiers.payments.gateways import gateway_label
from dossiers.payments.words import grouped, vnd, vnd_in_words


def series() -> str:
    return str(getattr(settings, "PAYMENTS_RECEIPT_SERIES", "BLMC") or "BLMC")[:12]


def next_number(name: str, year: int) -> int:
    """Reserve the next receipt number of ``name``/``year`` (inside a transaction)."""
    if connection.vendor == "postgresql":
        table = PaymentReceiptCounter._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table} (series, year, last_value) VALUES (%s, %s, 1)
                ON CONFLICT (series, year)
                DO UPDATE SET last_value = {table}.last_value + 1
                RETURNING last_value
                """,  # noqa: S608 - the table name is ours, values are parameters
                [name, year],
            )
            return cursor.fetchone()[0]
    counter, _created = PaymentReceiptCounter.objects.select_for_update().get_or_create(
        series=name, year=year, defaults={"last_value": 0}
    )
    PaymentReceiptCounter.objects.filter(pk=counter.pk).update(last_value=F("last_value") + 1)
    counter.refresh_from_db(fields=["last_value"])
    return counter.last_value


@transaction.atomic
def issue(payment: PaymentTransaction, at: datetime.datetime) -> PaymentReceipt:
    """The receipt of ``payment`` (created once; a second call returns the first)."""
    existing = PaymentReceipt.objects.filter(payment=payment).first()
    if existing is not None:
        return existing
    name, year = series(), timezone.localtime(at).year
    seq = next_number(name, year)
    return PaymentReceipt.objects.create(
        payment=payment, series=name, number=f"{name}-{year}-{seq:07d}", issued_at=at
    )


def receipt_context(receipt: PaymentReceipt) -> dict:
    payment = receipt.payment
    dossier = payment.dossier
    event = payment.paid_event
    agency = (event.to_agency if event is not None else None) or dossier.receiving_agency
    name, year, seq = receipt.number.rsplit("-", 2)
    paid_at = payment.paid_at or receipt.issued_at
    items = [
        {"index": index, "name": item.get("name", ""), "amount": grouped(item.get("amount_vnd"))}
        for index, item in enumerate(payment.fee_items or [], start=1)
    ] or [{"index": 1, "name": payment.description, "amount": grouped(payment.amount_vnd)}]
    return nfc(
        {
            "agency": agency_block(agency),
            "place_date": place_and_date(place_name(agency), timezone.localdate(receipt.issued_at)),
            "series": f"{name}/{year}",
            "seq": seq,
            "number": receipt.number,
            "issued_at": written_moment(receipt.issued_at),
            "payer_name": payment.payer_name or dossier.applicant_name,
            "payer_address": dossier.applicant_address,
            "dossier_code": dossier.code,
            "procedure_name": dossier.procedure_version.name,
            "items": items,
            "total": grouped(payment.amount_vnd),
            "total_vnd": vnd(payment.amount_vnd),
            "total_words": vnd_in_words(payment.amount_vnd),
            "gateway": gateway_label(payment.gateway),
            "reference": payment.reference,
            "gateway_transaction_id": payment.gateway_transaction_id,
            "paid_at": written_moment(paid_at),
            "tracking_url": tracking_url(dossier.code),
        }
    )


def _load(receipt_id: int) -> PaymentReceipt | None:
    return (
        PaymentReceipt.objects.select_related(
            "payment__dossier__procedure_version",
            "payment__dossier__receiving_agency__parent",
            "payment__dossier__receiving_agency__unit__parent",
            "payment__paid_event__to_agency__parent",
            "payment__paid_event__to_agency__unit__parent",
        )
        .filter(pk=receipt_id)
        .first()
    )


def render_pdf(receipt: PaymentReceipt) -> bytes:
    from dossiers.documents.rendering import html_to_pdf

    with translation.override("vi"):
        html = render_to_string("payments/receipt_pdf.html", receipt_context(receipt))
    return html_to_pdf(html).content


def ensure_rendered(receipt_id: int) -> PaymentReceipt | None:
    """The receipt with its PDF stored (rendered now when missing). Rendering runs outside any
    transaction; only the conditional update is atomic, and a loser deletes its own file."""
    receipt = _load(receipt_id)
    if receipt is None:
        return None
    storage = private_storage()
    if receipt.storage_name and storage.exists(receipt.storage_name):
        return receipt
    content = render_pdf(receipt)
    now = timezone.now()
    name = storage.save(
        f"payments/receipts/{now:%Y/%m}/{uuid.uuid4().hex}.pdf", ContentFile(content)
    )
    updated = PaymentReceipt.objects.filter(
        pk=receipt.pk, storage_name=receipt.storage_name
    ).update(storage_name=name, sha256=hashlib.sha256(content).hexdigest(), rendered_at=now)
    if not updated:
        storage.delete(name)
    receipt.refresh_from_db(fields=["storage_name", "sha256", "rendered_at"])
    return receipt


def open_receipt(receipt: PaymentReceipt):
    return private_storage().open(receipt.storage_name, "rb")
