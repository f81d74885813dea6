"""Factories of the catalog: sectors, procedures and versions with channels and documents."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from portal.models import UnitLevel
from procedures.models import (
    Channel,
    ChannelKind,
    Procedure,
    ProcedureVersion,
    RequiredDocument,
    Sector,
    VersionState,
)
from procedures.search import build_search_text
from procedures.snapshot import SNAPSHOT_PREFETCH, SNAPSHOT_SELECT, content_hash, snapshot_of
from tests.factories import AgencyFactory


class SectorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sector
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"Lĩnh vực thử {n}")


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Procedure
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9.{n:06d}")


def refresh_derived(version: ProcedureVersion) -> ProcedureVersion:
    """Recompute search_text and content_hash as the services do."""
    full = (
        ProcedureVersion.objects.select_related(*SNAPSHOT_SELECT)
        .prefetch_related(*SNAPSHOT_PREFETCH)
        .get(pk=version.pk)
    )
    snapshot = snapshot_of(full)
    ProcedureVersion.objects.filter(pk=version.pk).update(
        search_text=build_search_text(
            code=full.procedure.code,
            local_code=full.local_code,
            name=full.name,
            keywords=full.keywords,
            sector_names=[s.name for s in full.sectors.all()],
        ),
        content_hash=content_hash(snapshot),
    )
    version.refresh_from_db()
    return version


class VersionFactory(factory.django.DjangoModelFactory):
    """A published version with one sector and a direct channel (traits: draft, online, full)."""

    class Meta:
        model = ProcedureVersion
        skip_postgeneration_save = True

    procedure = factory.SubFactory(ProcedureFactory)
    number = 1
    state = VersionState.PUBLISHED
    name = factory.Sequence(lambda n: f"Thủ tục thử nghiệm số {n}")
    gov_level = UnitLevel.COMMUNE
    service_level = 2
    implementing_agency = factory.SubFactory(AgencyFactory)
    published_at = factory.LazyFunction(timezone.now)

    class Params:
        draft = factory.Trait(state=VersionState.DRAFT, published_at=None)
        online = factory.Trait(service_level=3)
        full = factory.Trait(service_level=4, postal_eligible=True, online_payment=True)

    @factory.post_generation
    def sectors(obj, create, extracted, **kwargs):
        if create:
            obj.sectors.set(extracted if extracted is not None else [SectorFactory()])

    @factory.post_generation
    def channels(obj, create, extracted, **kwargs):
        if not create:
            return
        kinds = extracted or (
            [ChannelKind.DIRECT, ChannelKind.ONLINE]
            if obj.service_level >= 3
            else [ChannelKind.DIRECT]
        )
        for kind in kinds:
            Channel.objects.create(
                version=obj, kind=kind, processing_time=Decimal("5"), fee_vnd=50_000
            )

    @factory.post_generation
    def documents(obj, create, extracted, **kwargs):
        if not create:
            return
        for position, (code, name) in enumerate(extracted or [("don", "Đơn đề nghị")]):
            RequiredDocument.objects.create(
                version=obj, code=code, name=name, originals=1, position=position
            )

    @factory.post_generation
    def derived(obj, create, extracted, **kwargs):
        if create:
            refresh_derived(obj)


def bulk_catalog(count: int, *, agency, sector: Sector, prefix: str = "B") -> None:
    """``count`` published procedures written with bulk inserts (for query-count tests)."""
    procedures = Procedure.objects.bulk_create(
        [Procedure(code=f"{prefix}.{n:06d}") for n in range(count)]
    )
    versions = ProcedureVersion.objects.bulk_create(
        [
            ProcedureVersion(
                procedure=procedure,
                number=1,
                state=VersionState.PUBLISHED,
                name=f"Thủ tục hàng loạt {n:06d}",
                search_text=f"{procedure.code.lower()} thu tuc hang loat {n:06d}",
                gov_level=[UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE][n % 3],
                service_level=n % 4 + 1,
                implementing_agency=agency,
                published_at=timezone.now(),
            )
            for n, procedure in enumerate(procedures)
        ],
        batch_size=1000,
    )
    through = ProcedureVersion.sectors.through
    through.objects.bulk_create(
        [through(procedureversion_id=v.pk, sector_id=sector.pk) for v in versions], batch_size=2000
    )
    Channel.objects.bulk_create(
        [Channel(version=v, kind=ChannelKind.DIRECT, processing_time=Decimal(5)) for v in versions],
        batch_size=2000,
    )


def valid_snapshot(*, agency_code: str, sector_code: str, **overrides) -> dict:
    """A complete, valid snapshot for the services (keys as in procedures.snapshot)."""
    data = {
        "name": "Cấp giấy phép thử nghiệm",
        "sectors": [sector_code],
        "gov_level": UnitLevel.PROVINCE,
        "service_level": 3,
        "implementing_agency": agency_code,
        "steps": "Bước 1: nộp hồ sơ.\nBước 2: nhận kết quả.",
        "result_name": "Giấy phép",
        "channels": [
            {
                "kind": "direct",
                "processing_time": "10",
                "time_unit": "working_days",
                "fee_vnd": 100000,
            },
            {
                "kind": "online",
                "processing_time": "8",
                "time_unit": "working_days",
                "fee_vnd": 100000,
            },
        ],
        "documents": [
            {"code": "don", "name": "Đơn đề nghị", "originals": 1},
            {"code": "ban-ve", "name": "Bản vẽ", "photocopies": 2, "case": "Trường hợp xây mới"},
        ],
        "legal_basis": [
            {"number": "50/2014/QH13", "title": "Luật Xây dựng", "issued_on": "2014-06-18"}
        ],
    }
    data.update(overrides)
    return data
