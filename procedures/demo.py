"""The demo catalog: exactly the seed's 1,537 published procedures (shared/docs/domain.md).

2017 layout (the seed): province 1,162 (265 at service level 3, 77 at level 4), district 277
(52 / 13), commune 98 (3 / 2). The real procedures of ``procedures/data/real_procedures.json``
come first; clearly labelled generated procedures ("Thủ tục minh hoạ …", codes ``MH.nnnnnn``)
fill each (level, service level) quota, spread over the sectors of that level. Levels 1 and 2
alternate among the generated ones.

Agencies: a province procedure is implemented by the department of its sector (``SECTOR_
DEPARTMENTS``) and received at the provincial centre H36.30 (the land procedures of H36.01
marked ``receive_at_communes`` also at every commune desk); a district procedure by the
specialist division of its sector or the district People's Committee, received at the district
committee's desk (real ones in Đà Lạt, generated ones round-robin over the 12 districts); a
commune procedure by a commune People's Committee and received at its own desk (real ones in
Xuân Trường, where the demo desk works, generated ones round-robin over the communes).

2025 layout (two tiers, no districts): the 277 district-level procedures move to commune level,
except those of sectors in ``PROVINCE_2025_SECTORS`` (licences the 2025 reform gave to the
provincial departments: culture, tourism, trade, food safety, health, transport), which move to
province level; departments follow the 2025 merger (``SECTOR_DEPARTMENTS_2025``). The totals per
level therefore differ from the seed's in that layout; the grand total stays 1,537.

Idempotent and fast: everything goes through ``procedures.bulk`` (bulk inserts, content hashes),
so a second run finds every version unchanged and writes nothing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TextIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.base import CommandError

from portal import demo as portal_demo
from portal.models import Agency, AgencyKind, UnitLevel
from procedures import bulk
from procedures.models import Procedure, Sector
from procedures.snapshot import normalize
from procedures.validation import Lookups, validate

DATA_DIR = Path(__file__).resolve().parent / "data"
FORMS_DIR = DATA_DIR / "forms"
_DATA = json.loads((DATA_DIR / "real_procedures.json").read_text(encoding="utf-8"))
SECTORS: list[tuple[str, str]] = [tuple(item) for item in _DATA["sectors"]]
FORMS: dict[str, str] = _DATA["forms"]
LAWS: dict[str, dict] = _DATA["laws"]
PROCEDURES: list[dict] = _DATA["procedures"]
FORM_STORAGE_PREFIX = "procedures/forms/"
CENTRE = portal_demo.PROVINCIAL_CENTRE_CODE

# (gov level) -> {service level: count}; the seed's figures.
QUOTAS: dict[str, dict[int, int]] = {
    "province": {3: 265, 4: 77, 0: 1162},
    "district": {3: 52, 4: 13, 0: 277},
    "commune": {3: 3, 4: 2, 0: 98},
}
TOTAL = 1537

SECTOR_DEPARTMENTS_2017 = {
    **dict.fromkeys(["DD", "MT", "TNN", "KS"], "H36.01"),
    **dict.fromkeys(["HT", "CT", "NCN", "HGCS", "LLTP", "TP"], "H36.02"),
    "XD": "H36.03",
    **dict.fromkeys(["DT", "DN", "HKD"], "H36.04"),
    "TC": "H36.05",
    **dict.fromkeys(["TM", "DIEN", "ATTP"], "H36.06"),
    **dict.fromkeys(["NN", "TY", "LN"], "H36.07"),
    "GT": "H36.08",
    "GD": "H36.09",
    **dict.fromkeys(["YT", "DUOC"], "H36.10"),
    **dict.fromkeys(["LD", "BTXH", "NCC"], "H36.11"),
    **dict.fromkeys(["VH", "DL", "TDTT"], "H36.12"),
    "KHCN": "H36.13",
    "TTTT": "H36.14",
    **dict.fromkeys(["TDKT", "TG"], "H36.15"),
    "NGV": "H36.16",
    "KNTC": "H36.17",
    "KCN": "H36.18",
}
SECTOR_DEPARTMENTS_2025 = {
    **SECTOR_DEPARTMENTS_2017,
    **dict.fromkeys(["NN", "TY", "LN"], "H36.01"),
    **dict.fromkeys(["GT"], "H36.03"),
    **dict.fromkeys(["DT", "DN", "HKD", "KCN"], "H36.05"),
    **dict.fromkeys(["BTXH"], "H36.10"),
    **dict.fromkeys(["LD", "NCC"], "H36.15"),
    "TG": "H36.19",
    "TTTT": "H36.13",
}
# District specialist divisions (portal.demo.DISTRICT_DIVISIONS) by sector.
DIVISION_SUFFIX = {
    **dict.fromkeys(["DD", "MT", "TNN", "KS"], "01"),
    **dict.fromkeys(["HT", "CT", "NCN", "HGCS", "TP"], "02"),
    **dict.fromkeys(["XD", "GT"], "03"),
}
PROVINCE_2025_SECTORS = {"VH", "DL", "TM", "ATTP", "YT", "GT"}

# Sectors the generated procedures of each level cycle through (weights by repetition).
GENERATED_SECTORS = {
    "province": (
        ["DD"] * 6
        + ["MT"] * 3
        + ["TNN", "KS"] * 2
        + ["XD"] * 4
        + ["DT"] * 3
        + ["DN"] * 3
        + ["GT"] * 5
        + ["YT"] * 4
        + ["DUOC"] * 3
        + ["ATTP"] * 2
        + ["GD"] * 4
        + ["LD"] * 3
        + ["BTXH", "NCC"] * 2
        + ["VH"] * 3
        + ["DL"] * 2
        + ["TDTT"]
        + ["NN"] * 3
        + ["TY", "LN"] * 2
        + ["TM"] * 3
        + ["DIEN", "TC", "KHCN", "TTTT", "TDKT", "TG", "NGV", "KNTC"]
        + ["KCN"] * 2
        + ["TP"] * 2
        + ["LLTP", "NCN"]
    ),
    "district": (
        ["HT"] * 2
        + ["CT"] * 2
        + ["DD"] * 4
        + ["MT"] * 2
        + ["XD"] * 3
        + ["HKD"] * 2
        + ["GD"] * 3
        + ["LD", "BTXH", "NCC", "VH", "NN", "TM", "ATTP", "KNTC", "TG", "TDKT", "GT", "YT", "TNN"]
    ),
    "commune": (
        ["HT"] * 2
        + ["CT", "HGCS", "DD", "MT", "BTXH", "NCC", "LD", "NN", "VH", "TG", "TDKT"]
        + ["KNTC", "GD"]
    ),
}
STEPS = {
    "province": "Bước 1: Tổ chức, cá nhân chuẩn bị hồ sơ theo quy định.\n"
    "Bước 2: Nộp hồ sơ tại Trung tâm Phục vụ hành chính công tỉnh, qua dịch vụ bưu chính công ích "
    "hoặc trực tuyến trên Cổng Dịch vụ công (với thủ tục có dịch vụ công trực tuyến).\n"
    "Bước 3: Cơ quan chuyên môn thẩm định hồ sơ, trình lãnh đạo phê duyệt.\n"
    "Bước 4: Nhận kết quả tại nơi nộp hồ sơ hoặc qua dịch vụ bưu chính công ích.",
    "district": "Bước 1: Chuẩn bị hồ sơ theo quy định.\n"
    "Bước 2: Nộp hồ sơ tại Bộ phận tiếp nhận và trả kết quả của UBND cấp huyện hoặc trực tuyến.\n"
    "Bước 3: Phòng chuyên môn thẩm định, trình Chủ tịch UBND cấp huyện ký.\n"
    "Bước 4: Nhận kết quả tại Bộ phận tiếp nhận và trả kết quả hoặc qua bưu chính.",
    "commune": "Bước 1: Chuẩn bị hồ sơ theo quy định.\n"
    "Bước 2: Nộp hồ sơ tại Bộ phận tiếp nhận và trả kết quả của UBND cấp xã hoặc trực tuyến.\n"
    "Bước 3: Công chức chuyên môn kiểm tra, trình Chủ tịch UBND cấp xã ký.\n"
    "Bước 4: Nhận kết quả tại Bộ phận tiếp nhận và trả kết quả.",
}
APPLICANTS = {
    "HT": "Công dân Việt Nam",
    "CT": "Cá nhân, tổ chức",
    "DN": "Tổ chức, cá nhân thành lập doanh nghiệp",
    "HKD": "Cá nhân, nhóm cá nhân, hộ gia đình",
}
GENERATED_FEES = [0, 0, 50_000, 100_000, 200_000, 0, 500_000]
DEMO_NOTE = "Dữ liệu trình diễn (seed_demo)"


class Directory:
    """The demo agencies a layout provides, by role."""

    def __init__(self, layout: str):
        self.layout = layout
        rows = list(
            Agency.objects.filter(is_active=True).values_list("code", "kind", "unit__level")
        )
        self.codes = {code for code, _kind, _level in rows}
        committees = sorted(
            (code, level) for code, kind, level in rows if kind == AgencyKind.PEOPLES_COMMITTEE
        )
        self.districts = [code for code, level in committees if level == UnitLevel.DISTRICT]
        self.communes = [code for code, level in committees if level == UnitLevel.COMMUNE]
        if not self.communes:
            raise CommandError("Load the units and agencies (portal demo) before the catalog.")
        self.home_commune = portal_demo.commune_agency("Xuân Trường").code
        self.home_district = (
            portal_demo.commune_agency("Đà Lạt", level=UnitLevel.DISTRICT).code
            if layout == "2017"
            else None
        )
        self.departments = SECTOR_DEPARTMENTS_2017 if layout == "2017" else SECTOR_DEPARTMENTS_2025

    def department(self, sector: str) -> str:
        code = self.departments.get(sector, portal_demo.PROVINCE_AGENCY_CODE)
        return code if code in self.codes else portal_demo.PROVINCE_AGENCY_CODE

    def district_agencies(self, district: str, sector: str) -> tuple[str, list[str]]:
        """(implementing agency, receiving agencies) of a district procedure."""
        suffix = DIVISION_SUFFIX.get(sector)
        division = f"{district}.{suffix}" if suffix else None
        if division and division in self.codes:
            return division, [district]
        return district, []


def _document(item: tuple) -> dict:
    code, name, originals, certified, copies, *rest = item
    required = rest[0] if rest else True
    form = rest[1] if len(rest) > 1 else None
    case = rest[2] if len(rest) > 2 else ""
    return {
        "code": code,
        "case": case,
        "name": name,
        "originals": originals,
        "certified_copies": certified,
        "photocopies": copies,
        "required": required,
        "form_template": FORM_STORAGE_PREFIX + FORMS[form] if form else "",
    }


def _channels(level: int, time: str, unit: str, fee: int, note: str, postal: bool) -> list[dict]:
    channel = {"processing_time": time, "time_unit": unit, "fee_vnd": fee, "fee_description": note}
    kinds = ["direct"] + (["online"] if level >= 3 else []) + (["postal"] if postal else [])
    return [{"kind": kind, **channel} for kind in kinds]


def _snapshot(record: dict, gov_level: str, implementing: str, receiving: list[str]) -> dict:
    level = record["sl"]
    postal = record.get("postal", level == 4)
    return normalize(
        {
            "local_code": f"{record['code']}.000.00.00.H36",
            "name": record["name"],
            "sectors": [record["sector"]],
            "gov_level": gov_level,
            "service_level": level,
            "implementing_agency": implementing,
            "receiving_agencies": receiving,
            "steps": record.get("steps", STEPS[gov_level]),
            "applicants": record.get(
                "applicants", APPLICANTS.get(record["sector"], "Cá nhân, tổ chức")
            ),
            "conditions": record.get("conditions", "Không"),
            "result_name": record["result"],
            "legal_basis": [LAWS[key] for key in record["laws"]],
            "publishing_decision": record.get("decision", ""),
            "keywords": record.get("keywords", ""),
            "postal_eligible": postal,
            "online_payment": record.get("payment", level == 4),
            "result_must_be_signed": record.get("signed", False),
            "channels": _channels(
                level,
                record["time"],
                record.get("unit", "working_days"),
                record["fee"],
                record.get("fee_note", ""),
                postal,
            ),
            "documents": [_document(item) for item in record["docs"]],
        }
    )


def _generated(n: int, gov_level: str, service_level: int, sector: str, names: dict) -> dict:
    return {
        "code": f"MH.{n:06d}",
        "name": f"Thủ tục minh hoạ số {n:04d} – lĩnh vực {names[sector]}",
        "sector": sector,
        "level": gov_level,
        "sl": service_level,
        "time": str(3 + (n * 7) % 18),
        "fee": GENERATED_FEES[n % len(GENERATED_FEES)],
        "fee_note": "Dữ liệu minh hoạ.",
        "docs": [
            ("don", "Đơn đề nghị theo mẫu", 1, 0, 0, True),
            ("giay-to", "Giấy tờ chứng minh đủ điều kiện thực hiện thủ tục", 0, 0, 1, True),
        ],
        "result": "Văn bản giải quyết thủ tục (dữ liệu minh hoạ)",
        "laws": [],
        "postal": n % 3 == 0,
        "keywords": "minh hoạ",
    }


def catalog_records() -> list[dict]:
    """Every record of the 2017 catalog: the real ones, then generated ones filling the quotas."""
    names = dict(SECTORS)
    records = list(PROCEDURES)
    counter = 0
    for gov_level, quota in QUOTAS.items():
        real = [r for r in PROCEDURES if r["level"] == gov_level]
        wanted = {
            4: quota[4] - sum(1 for r in real if r["sl"] == 4),
            3: quota[3] - sum(1 for r in real if r["sl"] == 3),
            12: quota[0] - quota[3] - quota[4] - sum(1 for r in real if r["sl"] <= 2),
        }
        if min(wanted.values()) < 0:
            raise CommandError(f"Real procedures exceed the {gov_level} quota: {wanted}")
        cycle = GENERATED_SECTORS[gov_level]
        made = 0
        for bucket, count in wanted.items():
            for i in range(count):
                counter += 1
                level = bucket if bucket in (3, 4) else (2 if i % 2 == 0 else 1)
                sector = cycle[made % len(cycle)]
                records.append(_generated(counter, gov_level, level, sector, names))
                made += 1
    return records


def _placement(record: dict, index: int, directory: Directory) -> tuple[str, str, list[str]]:
    """(gov level, implementing agency, receiving agencies) of a record in the layout."""
    sector = record["sector"]
    real = not record["code"].startswith("MH.")
    gov_level = record["level"]
    if directory.layout == "2025" and gov_level == UnitLevel.DISTRICT:
        gov_level = UnitLevel.PROVINCE if sector in PROVINCE_2025_SECTORS else UnitLevel.COMMUNE
    if gov_level == UnitLevel.PROVINCE:
        receiving = [CENTRE]
        if record.get("receive_at_communes"):
            receiving += directory.communes
        return gov_level, directory.department(sector), receiving
    if gov_level == UnitLevel.DISTRICT:
        district = (
            directory.home_district
            if real
            else directory.districts[index % len(directory.districts)]
        )
        implementing, receiving = directory.district_agencies(district, sector)
        return gov_level, implementing, receiving
    commune = (
        directory.home_commune if real else directory.communes[index % len(directory.communes)]
    )
    return gov_level, commune, []


def build_rows(layout: str) -> list[bulk.RowInput]:
    directory = Directory(layout)
    rows = []
    for index, record in enumerate(catalog_records()):
        gov_level, implementing, receiving = _placement(record, index, directory)
        rows.append(
            bulk.RowInput(
                row=index + 1,
                code=record["code"],
                snapshot=_snapshot(record, gov_level, implementing, receiving),
            )
        )
    return rows


def ensure_sectors() -> None:
    existing = set(Sector.objects.values_list("code", flat=True))
    Sector.objects.bulk_create(
        [Sector(code=code, name=name) for code, name in SECTORS if code not in existing]
    )


def ensure_forms() -> None:
    """Copy the demo's blank forms into the media storage (once)."""
    for filename in FORMS.values():
        name = FORM_STORAGE_PREFIX + filename
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile((FORMS_DIR / filename).read_bytes()))


def seed_catalog(layout: str = "2017", stdout: TextIO | None = None) -> bulk.Result:
    """Load the demo catalog (idempotent)."""
    started = time.monotonic()
    ensure_sectors()
    ensure_forms()
    rows = build_rows(layout)
    if len(rows) != TOTAL:
        raise CommandError(f"The demo catalog has {len(rows)} procedures, expected {TOTAL}.")
    lookups = Lookups.load()
    for row in rows:
        problems = validate(row.snapshot, lookups)
        if problems:
            raise CommandError(f"Demo procedure {row.code} is invalid: {problems}")
    result = bulk.write(rows, lookups=lookups, publish=True, note=DEMO_NOTE)
    for record in PROCEDURES:
        if record.get("popularity"):
            Procedure.objects.filter(code=record["code"], filing_count=0).update(
                filing_count=record["popularity"]
            )
    if stdout is not None:
        changed = len(result.changed)
        stdout.write(
            f"Procedure catalog: {len(rows)} procedures, {changed} written, "
            f"{len(rows) - changed} unchanged ({time.monotonic() - started:.1f} s)."
        )
    return result
