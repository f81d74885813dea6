"""The demo catalog reproduces the seed's figures, with real procedures, and is idempotent."""

import time
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.db.models import Count, Q

from portal import demo as portal_demo
from procedures.demo import PROCEDURES, seed_catalog
from procedures.models import CatalogAuditEntry, Procedure, ProcedureVersion, Sector
from procedures.snapshot import SNAPSHOT_PREFETCH, SNAPSHOT_SELECT, content_hash, snapshot_of

pytestmark = pytest.mark.django_db


def load(layout: str = "2017") -> str:
    portal_demo.seed_hierarchy(layout)
    out = StringIO()
    seed_catalog(layout=layout, stdout=out)
    return out.getvalue()


def figures() -> dict:
    rows = (
        ProcedureVersion.objects.published()
        .values("gov_level")
        .annotate(
            total=Count("id"),
            l3=Count("id", filter=Q(service_level=3)),
            l4=Count("id", filter=Q(service_level=4)),
        )
    )
    return {r["gov_level"]: (r["total"], r["l3"], r["l4"]) for r in rows}


def test_the_2017_catalog_has_exactly_the_seed_figures_and_a_second_run_changes_nothing():
    started = time.monotonic()
    load()
    first_run = time.monotonic() - started
    assert figures() == {
        "province": (1162, 265, 77),
        "district": (277, 52, 13),
        "commune": (98, 3, 2),
    }
    assert ProcedureVersion.objects.count() == 1537
    audit = CatalogAuditEntry.objects.count()
    stamp = list(ProcedureVersion.objects.order_by("pk").values_list("pk", "content_hash"))

    output = load()

    assert "0 written, 1537 unchanged" in output
    assert ProcedureVersion.objects.count() == 1537
    assert CatalogAuditEntry.objects.count() == audit
    assert list(ProcedureVersion.objects.order_by("pk").values_list("pk", "content_hash")) == stamp
    assert first_run < 60  # generous; it takes a few seconds (measured, reported, not a benchmark)


def test_real_procedures_are_there_with_national_codes_and_papers():
    load()
    real = [p for p in PROCEDURES if not p["code"].startswith("MH.")]
    assert len(real) >= 80
    published = ProcedureVersion.objects.published()
    assert published.filter(procedure__code__in=[p["code"] for p in real]).count() == len(real)
    assert published.filter(name__startswith="Thủ tục minh hoạ").count() == 1537 - len(real)
    sectors = set(Sector.objects.filter(versions__isnull=False).values_list("name", flat=True))
    for name in (
        "Hộ tịch",
        "Chứng thực",
        "Đất đai",
        "Xây dựng",
        "Môi trường",
        "Tư pháp",
        "Lý lịch tư pháp",
        "Đầu tư",
        "Doanh nghiệp",
        "Giao thông",
        "Y tế",
        "Giáo dục",
        "Lao động",
        "Văn hóa",
        "Nông nghiệp",
    ):
        assert name in sectors, name


def test_birth_registration_is_a_commune_level_4_postal_procedure_with_two_papers():
    load()
    birth = ProcedureVersion.objects.published().get(procedure__code="1.001193")
    assert birth.name == "Đăng ký khai sinh"
    assert birth.gov_level == "commune" and birth.service_level == 4
    assert birth.postal_eligible and birth.accepts_online_filing
    documents = list(birth.documents.all())
    assert len(documents) == 2 and all(d.required for d in documents)
    assert documents[0].name.startswith("Tờ khai đăng ký khai sinh")
    assert default_storage.exists(documents[0].form_template.name)
    assert birth.implementing_agency == portal_demo.commune_agency("Xuân Trường")
    assert not birth.receiving_agencies.exists()
    assert {c.kind for c in birth.channels.all()} == {"direct", "online", "postal"}


def test_a_land_procedure_of_tnmt_is_received_at_the_centre_and_commune_desks():
    load()
    version = (
        ProcedureVersion.objects.published()
        .filter(
            implementing_agency__code=portal_demo.TNMT_CODE,
            service_level__gte=3,
            result_must_be_signed=True,
            receiving_agencies__code=portal_demo.PROVINCIAL_CENTRE_CODE,
        )
        .distinct()
        .first()
    )
    assert version is not None and version.gov_level == "province"
    receiving = set(version.receiving_agencies.values_list("unit__level", flat=True))
    assert receiving == {"province", "commune"}
    assert version.receiving_agencies.filter(unit__level="commune").count() == 147


def test_commune_procedures_keep_the_receiving_list_small():
    load()
    through = ProcedureVersion.receiving_agencies.through
    assert not through.objects.filter(procedureversion__gov_level="commune").exists()
    assert through.objects.count() < 1162 + 2 * 147 + 277


def test_seeded_hashes_match_what_the_services_compute():
    load()
    versions = (
        ProcedureVersion.objects.published()
        .select_related(*SNAPSHOT_SELECT)
        .prefetch_related(*SNAPSHOT_PREFETCH)
        .order_by("pk")[:200]
    )
    assert all(content_hash(snapshot_of(v)) == v.content_hash for v in versions)


def test_popular_procedures_get_demo_filing_counts_once():
    load()
    birth = Procedure.objects.get(code="1.001193")
    assert birth.filing_count > 0
    Procedure.objects.filter(pk=birth.pk).update(filing_count=birth.filing_count + 5)
    load()
    birth.refresh_from_db()
    assert (
        birth.filing_count
        == next(p["popularity"] for p in PROCEDURES if p["code"] == "1.001193") + 5
    )


def test_the_2025_layout_moves_district_procedures_and_keeps_the_total():
    load("2025")
    result = figures()
    assert "district" not in result
    assert sum(total for total, _l3, _l4 in result.values()) == 1537
    assert result["commune"][0] > 98 and result["province"][0] > 1162
    assert result["province"][0] + result["commune"][0] == 1537
    birth = ProcedureVersion.objects.published().get(procedure__code="1.001193")
    assert birth.implementing_agency.unit.name == "Phường Xuân Trường - Đà Lạt"
    assert "0 written" in load("2025")
