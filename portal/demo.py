"""Demo data of the portal core: Lâm Đồng's units, agencies and the demo accounts.

The unit lists are facts extracted into ``portal/data/units_<layout>.json`` by
``scripts/extract_units.py`` (names and official codes; the JSON says where they came from).
Everything here is idempotent: a second run finds every row and changes nothing.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from django.core.management.base import CommandError
from django.db import transaction

from portal.models import (
    AdministrativeUnit,
    Agency,
    AgencyKind,
    CitizenProfile,
    Role,
    StaffMembership,
    UnitLevel,
    User,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
LAYOUTS = ("2017", "2025")
DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented demo password
PROVINCE_AGENCY_CODE = "H36"
PROVINCIAL_CENTRE_CODE = "H36.30"
TNMT_CODE = "H36.01"

# (code, name, short name) of the provincial departments (sở, ban, ngành) in each layout.
DEPARTMENTS = {
    "2017": [
        (TNMT_CODE, "Sở Tài nguyên và Môi trường", "TNMT"),
        ("H36.02", "Sở Tư pháp", "STP"),
        ("H36.03", "Sở Xây dựng", "SXD"),
        ("H36.04", "Sở Kế hoạch và Đầu tư", "KHĐT"),
        ("H36.05", "Sở Tài chính", "STC"),
        ("H36.06", "Sở Công Thương", "SCT"),
        ("H36.07", "Sở Nông nghiệp và Phát triển nông thôn", "NNPTNT"),
        ("H36.08", "Sở Giao thông vận tải", "GTVT"),
        ("H36.09", "Sở Giáo dục và Đào tạo", "GDĐT"),
        ("H36.10", "Sở Y tế", "SYT"),
        ("H36.11", "Sở Lao động - Thương binh và Xã hội", "LĐTBXH"),
        ("H36.12", "Sở Văn hóa, Thể thao và Du lịch", "VHTTDL"),
        ("H36.13", "Sở Khoa học và Công nghệ", "KHCN"),
        ("H36.14", "Sở Thông tin và Truyền thông", "TTTT"),
        ("H36.15", "Sở Nội vụ", "SNV"),
        ("H36.16", "Sở Ngoại vụ", "SNgV"),
        ("H36.17", "Thanh tra tỉnh", "TTr"),
        ("H36.18", "Ban Quản lý các khu công nghiệp", "BQLKCN"),
    ],
    "2025": [
        (TNMT_CODE, "Sở Nông nghiệp và Môi trường", "NNMT"),
        ("H36.02", "Sở Tư pháp", "STP"),
        ("H36.03", "Sở Xây dựng", "SXD"),
        ("H36.05", "Sở Tài chính", "STC"),
        ("H36.06", "Sở Công Thương", "SCT"),
        ("H36.09", "Sở Giáo dục và Đào tạo", "GDĐT"),
        ("H36.10", "Sở Y tế", "SYT"),
        ("H36.12", "Sở Văn hóa, Thể thao và Du lịch", "VHTTDL"),
        ("H36.13", "Sở Khoa học và Công nghệ", "KHCN"),
        ("H36.15", "Sở Nội vụ", "SNV"),
        ("H36.16", "Sở Ngoại vụ", "SNgV"),
        ("H36.17", "Thanh tra tỉnh", "TTr"),
        ("H36.19", "Sở Dân tộc và Tôn giáo", "DTTG"),
        ("H36.20", "Văn phòng Ủy ban nhân dân tỉnh", "VP"),
    ],
}
# Specialist divisions (phòng chuyên môn) of each district People's Committee (2017 only).
DISTRICT_DIVISIONS = [
    ("01", "Phòng Tài nguyên và Môi trường"),
    ("02", "Phòng Tư pháp"),
    ("03", "Phòng Quản lý đô thị / Kinh tế - Hạ tầng"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    full_name: str
    description: str


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def load_layout(layout: str) -> list[dict]:
    if layout not in LAYOUTS:
        raise CommandError(f"Unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}.")
    data = json.loads((DATA_DIR / f"units_{layout}.json").read_text(encoding="utf-8"))
    return data["units"]


def detect_layout() -> str | None:
    """The layout already in the database, if any (districts exist only in 2017)."""
    if not AdministrativeUnit.objects.exists():
        return None
    if AdministrativeUnit.objects.filter(level=UnitLevel.DISTRICT).exists():
        return "2017"
    return "2025"


def seed_units(layout: str) -> dict[str, AdministrativeUnit]:
    existing = {unit.code: unit for unit in AdministrativeUnit.objects.all()}
    for row in load_layout(layout):
        if row["code"] in existing:
            continue
        unit = AdministrativeUnit.objects.create(
            code=row["code"],
            name=_nfc(row["name"]),
            level=row["level"],
            parent=existing[row["parent"]] if row["parent"] else None,
            valid_from="2025-07-01" if layout == "2025" else None,
        )
        existing[unit.code] = unit
    return existing


def _agency(code: str, **fields) -> Agency:
    agency, _created = Agency.objects.get_or_create(code=code, defaults=fields)
    return agency


def seed_agencies(layout: str, units: dict[str, AdministrativeUnit]) -> None:
    province = next(u for u in units.values() if u.level == UnitLevel.PROVINCE)
    committee = _agency(
        PROVINCE_AGENCY_CODE,
        name="Ủy ban nhân dân tỉnh Lâm Đồng",
        short_name="UBND tỉnh",
        unit=province,
        kind=AgencyKind.PEOPLES_COMMITTEE,
        address="36 Trần Phú, Phường 4, Thành phố Đà Lạt",
    )
    _agency(
        PROVINCIAL_CENTRE_CODE,
        name="Trung tâm Phục vụ hành chính công tỉnh Lâm Đồng",
        short_name="TTPVHCC",
        unit=province,
        kind=AgencyKind.ONE_STOP_CENTRE,
        parent=committee,
        is_receiving_desk=True,
        address="36 Trần Phú, Phường 4, Thành phố Đà Lạt",
    )
    for code, name, short_name in DEPARTMENTS[layout]:
        _agency(
            code,
            name=name,
            short_name=short_name,
            unit=province,
            kind=AgencyKind.DEPARTMENT,
            parent=committee,
        )
    for unit in units.values():
        if unit.level == UnitLevel.DISTRICT:
            district_committee = _agency(
                f"{PROVINCE_AGENCY_CODE}.{unit.code}",
                name=f"Ủy ban nhân dân {unit.name}",
                short_name=f"UBND {unit.name}",
                unit=unit,
                kind=AgencyKind.PEOPLES_COMMITTEE,
                parent=committee,
                is_receiving_desk=True,
            )
            for suffix, division in DISTRICT_DIVISIONS:
                _agency(
                    f"{district_committee.code}.{suffix}",
                    name=f"{division} {unit.name}",
                    unit=unit,
                    kind=AgencyKind.DIVISION,
                    parent=district_committee,
                )
        elif unit.level == UnitLevel.COMMUNE:
            parent_code = (
                f"{PROVINCE_AGENCY_CODE}.{unit.parent.code}"
                if unit.parent.level == UnitLevel.DISTRICT
                else PROVINCE_AGENCY_CODE
            )
            _agency(
                f"{parent_code}.{unit.code}",
                name=f"Ủy ban nhân dân {unit.name}",
                short_name=f"UBND {unit.name}",
                unit=unit,
                kind=AgencyKind.PEOPLES_COMMITTEE,
                parent=Agency.objects.get(code=parent_code),
                is_receiving_desk=True,
            )


def commune_agency(name_fragment: str, level: str = UnitLevel.COMMUNE) -> Agency:
    """The People's Committee of the unit whose name contains ``name_fragment``."""
    agency = (
        Agency.objects.filter(
            unit__level=level,
            unit__name__icontains=name_fragment,
            kind=AgencyKind.PEOPLES_COMMITTEE,
        )
        .order_by("code")
        .first()
    )
    if agency is None:
        raise CommandError(f"No {level} People's Committee matching {name_fragment!r}.")
    return agency


def _user(username: str, full_name: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"full_name": full_name, **extra}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _member(user: User, agency: Agency, role: str, title: str) -> None:
    StaffMembership.objects.get_or_create(
        user=user, agency=agency, role=role, defaults={"title": title}
    )


def seed_accounts(layout: str, stdout: TextIO | None = None) -> list[DemoAccount]:
    """The demo accounts of shared/docs/interfaces.md; returns them for printing."""
    admin = _user("admin", "Quản trị hệ thống", is_staff=True, is_superuser=True)
    centre = Agency.objects.get(code=PROVINCIAL_CENTRE_CODE)
    tnmt = Agency.objects.get(code=TNMT_CODE)
    if layout == "2017":
        dalat = commune_agency("Đà Lạt", level=UnitLevel.DISTRICT)
        xuantruong = commune_agency("Xuân Trường")
    else:
        dalat = commune_agency("Lâm Viên - Đà Lạt")
        xuantruong = commune_agency("Xuân Trường")

    _member(admin, centre, Role.CATALOG_ADMIN, "Quản trị danh mục")
    citizens = [
        ("citizen1", "Nguyễn Thị Hồng Nhung", "0912345678", "068190000123", "12 Đường 3 Tháng 2"),
        ("citizen2", "Trần Văn Đức", "0987654321", "068185000456", "45 Phan Đình Phùng"),
    ]
    for username, full_name, phone, citizen_id, street in citizens:
        user = _user(username, full_name, email=f"{username}@example.vn")
        CitizenProfile.objects.get_or_create(
            user=user,
            defaults={
                "phone": phone,
                "citizen_id": citizen_id,
                "address": f"{street}, {xuantruong.unit.name}, Lâm Đồng",
                "unit": xuantruong.unit,
            },
        )
    staff = [
        ("desk.province", "Lê Thị Thu Hà", centre, Role.DESK, "Chuyên viên một cửa"),
        ("desk.dalat", "Phạm Quốc Bảo", dalat, Role.DESK, "Công chức một cửa"),
        ("desk.xuantruong", "K'Điểu Hương", xuantruong, Role.DESK, "Công chức một cửa"),
        ("officer.tnmt", "Võ Minh Tuấn", tnmt, Role.SPECIALIST, "Chuyên viên"),
        ("leader.tnmt", "Đặng Văn Khoa", tnmt, Role.LEADER, "Phó Giám đốc Sở"),
        ("clerk.tnmt", "Hoàng Thị Lan", tnmt, Role.CLERK, "Văn thư"),
    ]
    for username, full_name, agency, role, title in staff:
        _member(_user(username, full_name, email=f"{username}@lamdong.gov.vn"), agency, role, title)

    return [
        DemoAccount("admin", "Quản trị hệ thống", "superuser"),
        DemoAccount("citizen1", citizens[0][1], "citizen"),
        DemoAccount("citizen2", citizens[1][1], "citizen"),
        DemoAccount("desk.province", staff[0][1], f"desk – {centre.name}"),
        DemoAccount("desk.dalat", staff[1][1], f"desk – {dalat.name}"),
        DemoAccount("desk.xuantruong", staff[2][1], f"desk – {xuantruong.name}"),
        DemoAccount("officer.tnmt", staff[3][1], f"specialist – {tnmt.name}"),
        DemoAccount("leader.tnmt", staff[4][1], f"leader – {tnmt.name}"),
        DemoAccount("clerk.tnmt", staff[5][1], f"clerk – {tnmt.name}"),
    ]


@transaction.atomic
def seed_hierarchy(layout: str) -> None:
    present = detect_layout()
    if present is not None and present != layout:
        raise CommandError(
            f"The database already holds the {present} layout; load the {layout} layout "
            "into a fresh database."
        )
    units = seed_units(layout)
    seed_agencies(layout, units)
