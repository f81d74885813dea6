"""Filing reads the published version from a per-process copy (``procedures.cache``
``filing_version``): no catalog query while the catalog is unchanged, and every change —
publishing, withdrawal, an ORM save, another process's commit — seen by the very next filing.

The tests run inside a transaction that never commits: the services' on-commit generation bump
never happens here, so what they check is the immediate drop in the changing process and, for
other processes, the generation itself (bumped by hand as their commit would)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dossiers.errors import ValidationError
from dossiers.filing import file_dossier
from dossiers.models import FilingChannel
from procedures import services
from procedures.cache import bump_generation
from procedures.models import ProcedureVersion, VersionState
from tests.dossiers.factories import applicant_data, pdf
from tests.factories import AgencyFactory, CitizenFactory, UserFactory
from tests.procedures.factories import SectorFactory, valid_snapshot

pytestmark = pytest.mark.django_db
CODE = "1.009999"
CATALOG_TABLES = (
    "procedures_procedureversion",
    "procedures_requireddocument",
    "procedures_channel",
    "procedureversion_receiving_agencies",
)


@pytest.fixture
def world():
    agency = AgencyFactory(code="H36.03", name="Sở Xây dựng", is_receiving_desk=True)
    sector = SectorFactory(code="XD", name="Xây dựng")
    admin = UserFactory(username="catalog.admin")
    data = valid_snapshot(agency_code=agency.code, sector_code=sector.code)
    version = services.publish(services.create_procedure(CODE, data, actor=admin), actor=admin)
    return type(
        "World",
        (),
        {"agency": agency, "admin": admin, "version": version, "citizen": CitizenFactory()},
    )


def file(world):
    return file_dossier(
        procedure_code=CODE,
        applicant_user=world.citizen,
        data=applicant_data(),
        files={"don": [pdf("don.pdf")], "ban-ve": [pdf("ban-ve.pdf", extra=b"2")]},
        channel=FilingChannel.ONLINE,
        actor=world.citizen,
    )


def catalog_reads(queries) -> list[str]:
    return [q["sql"] for q in queries if any(table in q["sql"] for table in CATALOG_TABLES)]


def new_version(world, **data) -> ProcedureVersion:
    draft = services.create_draft(world.version.procedure, actor=world.admin, data=data)
    return services.publish(draft, actor=world.admin)


def test_the_second_filing_reads_no_catalog_row(world):
    with CaptureQueriesContext(connection) as first:
        file(world)
    with CaptureQueriesContext(connection) as second:
        dossier = file(world)
    assert catalog_reads(first.captured_queries)  # loaded once …
    assert catalog_reads(second.captured_queries) == []  # … then served from memory
    assert dossier.procedure_version_id == world.version.pk
    assert dossier.fee_vnd == 100000


def test_a_new_version_is_used_by_the_next_filing(world):
    file(world)
    channels = [
        {"kind": "online", "processing_time": "5", "time_unit": "working_days", "fee_vnd": 7000}
    ]
    newer = new_version(world, name="Cấp giấy phép thử nghiệm (sửa đổi)", channels=channels)

    dossier = file(world)
    assert dossier.procedure_version_id == newer.pk
    assert dossier.fee_vnd == 7000


def test_withdrawal_refuses_the_next_filing_at_once(world):
    file(world)
    services.withdraw(world.version.procedure, actor=world.admin, reason="Bãi bỏ")

    with pytest.raises(ValidationError) as refused:
        file(world)
    assert refused.value.message_dict["procedure"] == [
        "Thủ tục không tồn tại hoặc chưa được công bố."
    ]


def test_a_new_version_below_level_3_refuses_online_filing_at_once(world):
    file(world)
    new_version(world, service_level=2)

    with pytest.raises(ValidationError) as refused:
        file(world)
    assert refused.value.message_dict["procedure"] == [
        "Thủ tục này chưa cung cấp dịch vụ công trực tuyến mức độ 3, 4."
    ]


def test_another_process_commit_is_seen_through_the_generation(world):
    """A change committed by another process reaches this one through the shared generation
    (its commit bumps it); until then this process keeps its copy."""
    file(world)
    # Another process's withdrawal: rows changed without this process's services or signals.
    ProcedureVersion.objects.filter(pk=world.version.pk).update(state=VersionState.WITHDRAWN)
    assert file(world).procedure_version_id == world.version.pk  # not committed "there" yet

    bump_generation()  # what that process does once it commits
    with pytest.raises(ValidationError) as refused:
        file(world)
    assert "procedure" in refused.value.message_dict


def test_an_agency_saved_through_the_orm_is_seen_at_once(world):
    file(world)
    world.agency.is_active = False
    world.agency.save()  # the admin's path: post_save drops the copies

    with pytest.raises(ValidationError) as refused:
        file(world)
    assert refused.value.message_dict["receiving_agency"] == [
        "Thủ tục chưa có nơi tiếp nhận hồ sơ."
    ]


def test_receiving_agencies_added_through_the_orm_are_seen_at_once(world):
    file(world)
    centre = AgencyFactory(code="H36.99", name="Trung tâm phục vụ hành chính công")
    world.version.receiving_agencies.add(centre)  # m2m_changed drops the copies

    assert file(world).receiving_agency_id == centre.pk
