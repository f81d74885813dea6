"""Factories of the dossiers tests: a small catalog (published versions with channels and
documents), dossiers in any state (traits), and upload helpers."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dossiers.models import Dossier, DossierEvent, FilingChannel, Status
from portal.models import AgencyKind, Role
from procedures.models import (
    Channel,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
    ServiceLevel,
    VersionState,
)
from tests.factories import AgencyFactory, CitizenFactory, UserFactory, staff_user

# Minimal but real file contents, recognised by libmagic.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + (b"PE\x00\x00L\x01\x03\x00" + b"\x00" * 200)
)


def pdf(name: str = "to-khai.pdf", extra: bytes = b"") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES + extra, content_type="application/pdf")


def png(name: str = "anh.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_BYTES, content_type="image/png")


def exe_renamed(name: str = "giay-to.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, EXE_BYTES, content_type="application/pdf")


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"1.{n:06d}")


class ProcedureVersionFactory(factory.django.DjangoModelFactory):
    """A published level-3 version received at its implementing agency (a desk)."""

    class Meta:
        model = ProcedureVersion
        skip_postgeneration_save = True

    procedure = factory.SubFactory(ProcedureFactory)
    number = 1
    state = VersionState.PUBLISHED
    name = factory.Sequence(lambda n: f"Đăng ký khai sinh {n}")
    gov_level = "commune"
    service_level = ServiceLevel.PARTIAL
    implementing_agency = factory.SubFactory(AgencyFactory)
    postal_eligible = False

    @factory.post_generation
    def channels(obj, create, extracted, **kwargs):
        if not create:
            return
        for kind, days in extracted or [("online", Decimal("3")), ("direct", Decimal("3"))]:
            Channel.objects.create(
                version=obj, kind=kind, processing_time=days, time_unit="working_days"
            )

    @factory.post_generation
    def documents(obj, create, extracted, **kwargs):
        if not create:
            return
        for code, required in extracted or [("to-khai", True), ("giay-khac", False)]:
            RequiredDocument.objects.create(
                version=obj,
                code=code,
                name=f"Giấy tờ {code}",
                required=required,
                originals=1,
            )


class Catalog:
    """A procedure with its receiving desk and the staff of every role (one call per test)."""

    def __init__(self, **version_fields):
        self.agency = version_fields.pop("agency", None) or AgencyFactory(
            kind=AgencyKind.PEOPLES_COMMITTEE, is_receiving_desk=True
        )
        self.version = ProcedureVersionFactory(implementing_agency=self.agency, **version_fields)
        self.procedure = self.version.procedure
        self.desk = staff_user(self.agency, Role.DESK)
        self.specialist = staff_user(self.agency, Role.SPECIALIST)
        self.leader = staff_user(self.agency, Role.LEADER)
        self.citizen = CitizenFactory()

    @property
    def code(self) -> str:
        return self.procedure.code


def applicant_data(**overrides) -> dict:
    data = {
        "applicant_name": "Nguyễn Thị Hoà",
        "applicant_phone": "0912345678",
        "applicant_id_number": "068123456789",
        "applicant_address": "12 Trần Phú, Phường 4, Đà Lạt",
        "applicant_email": "hoa@example.vn",
        "summary": "Đề nghị cấp giấy khai sinh",
    }
    data.update(overrides)
    return data


class DossierFactory(factory.django.DjangoModelFactory):
    """A dossier written directly (no service): traits set the state and its derived dates.

    ``DossierFactory(received=True, overdue=True)``, ``DossierFactory(processing=True)`` …
    """

    class Meta:
        model = Dossier

    class Params:
        catalog_agency = factory.SubFactory(AgencyFactory)
        received = factory.Trait(
            status=Status.RECEIVED,
            received_at=factory.LazyFunction(timezone.now),
            due_at=factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=3)),
            original_due_at=factory.SelfAttribute("due_at"),
            step_due_at=factory.SelfAttribute("due_at"),
        )
        processing = factory.Trait(received=True, status=Status.PROCESSING)
        overdue = factory.Trait(
            due_at=factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1)),
            intake_due_at=factory.LazyFunction(
                lambda: timezone.now() - datetime.timedelta(hours=1)
            ),
        )
        result_ready = factory.Trait(
            received=True,
            status=Status.RESULT_READY,
            completed_at=factory.LazyFunction(timezone.now),
        )

    code = factory.Sequence(lambda n: f"TST-{n:08d}")
    procedure_version = factory.SubFactory(
        ProcedureVersionFactory, implementing_agency=factory.SelfAttribute("..catalog_agency")
    )
    procedure = factory.SelfAttribute("procedure_version.procedure")
    channel = FilingChannel.ONLINE
    applicant = factory.SubFactory(CitizenFactory)
    applicant_name = "Trần Văn Bình"
    applicant_phone = factory.Sequence(lambda n: f"09{n:08d}")
    applicant_id_number = "068123456789"
    applicant_address = "5 Lê Hồng Phong, Đà Lạt"
    applicant_email = "binh@example.vn"
    receiving_agency = factory.SelfAttribute("procedure_version.implementing_agency")
    current_agency = factory.SelfAttribute("receiving_agency")
    returning_agency = factory.SelfAttribute("receiving_agency")
    status = Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)
    intake_due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(hours=8))


class DossierEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DossierEvent

    dossier = factory.SubFactory(DossierFactory)
    at = factory.LazyFunction(timezone.now)
    action = "submit"
    to_status = Status.SUBMITTED


__all__ = [
    "Catalog",
    "CitizenFactory",
    "DossierFactory",
    "ProcedureVersionFactory",
    "UserFactory",
    "applicant_data",
    "exe_renamed",
    "pdf",
    "png",
]
