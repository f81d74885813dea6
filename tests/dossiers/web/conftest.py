"""Fixtures of the dossier web pages: a catalog with its staff, outsiders (another citizen, the
staff of another agency), real small PDFs, and bulk dossiers for the query-count tests."""

from __future__ import annotations

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from pypdf import PdfWriter

from dossiers.models import Dossier, Status
from portal.models import Role
from portal.permissions import grants_for
from tests.dossiers.factories import Catalog, DossierFactory
from tests.factories import AgencyFactory, CitizenFactory, staff_user


def real_pdf(name: str = "to-khai.pdf", title: str = "Tờ khai") -> SimpleUploadedFile:
    """A genuine one-page PDF written by pypdf (libmagic sees application/pdf)."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/pdf")


@pytest.fixture
def web(db) -> Catalog:
    return Catalog()


@pytest.fixture
def stranger(db):
    """A citizen who filed nothing here."""
    return CitizenFactory()


@pytest.fixture
def outsider(db):
    """Desk staff of another agency."""
    return staff_user(AgencyFactory(), Role.DESK)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
        # Steady state: after a user's first request their grants are in the shared cache
        # (portal/permissions.py), so query counts compare like with like.
        grants_for(type(user).objects.get(pk=user.pk))
    return client


def bulk_dossiers(catalog: Catalog, count: int, *, applicant=None, **fields) -> list[Dossier]:
    """``count`` dossiers of ``catalog``'s procedure written in one INSERT."""
    now = timezone.now()
    base = {
        "procedure_version": catalog.version,
        "procedure": catalog.procedure,
        "receiving_agency": catalog.agency,
        "current_agency": catalog.agency,
        "returning_agency": catalog.agency,
        "applicant": applicant or catalog.citizen,
        "status": Status.PROCESSING,
        "received_at": now,
    }
    base.update(fields)
    start = Dossier.objects.count()
    rows = []
    for number in range(count):
        row = DossierFactory.build(
            code=f"BULK-{start + number:07d}",
            due_at=now + datetime.timedelta(days=2, minutes=number),
            **base,
        )
        rows.append(row)
    return Dossier.objects.bulk_create(rows, batch_size=500)


CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def without_csrf(body: bytes) -> bytes:
    return CSRF.sub(b'name="csrfmiddlewaretoken" value=""', body)
