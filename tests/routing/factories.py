"""A small province for routing tests: units and agencies in the 2017 (province → district →
commune) or the 2025 (province → commune) layout, a provincial procedure decided by a
department and received at commune desks, staff of every agency, and a second province."""

from __future__ import annotations

from itertools import count

from dossiers.filing import file_dossier
from dossiers.models import FilingChannel
from portal.models import AgencyKind, Role, UnitLevel
from procedures.models_paths import StepOwner, save_path
from tests.dossiers.factories import ProcedureVersionFactory, applicant_data, pdf
from tests.factories import AgencyFactory, CitizenFactory, UnitFactory, staff_user

_serial = count(1)


class Province:
    """``Province("2017")``: units, agencies, staff (``desk``, ``staff``, ``leader`` dicts by
    agency attribute name) and ``version``, a province-level procedure of the department."""

    def __init__(self, layout: str = "2017", *, gov_level: str = UnitLevel.PROVINCE):
        n = next(_serial)
        self.layout = layout
        self.unit = UnitFactory(code=f"P{n}", name=f"Tỉnh Thử {n}", level=UnitLevel.PROVINCE)
        if layout == "2017":
            self.district_unit = UnitFactory(
                code=f"P{n}D1", name=f"Huyện Một {n}", level=UnitLevel.DISTRICT, parent=self.unit
            )
            self.other_district_unit = UnitFactory(
                code=f"P{n}D2", name=f"Huyện Hai {n}", level=UnitLevel.DISTRICT, parent=self.unit
            )
            commune_parent, other_parent = self.district_unit, self.other_district_unit
        else:
            self.district_unit = self.other_district_unit = None
            commune_parent = other_parent = self.unit
        self.commune_unit = UnitFactory(
            code=f"P{n}C1", name=f"Xã Một {n}", level=UnitLevel.COMMUNE, parent=commune_parent
        )
        self.other_commune_unit = UnitFactory(
            code=f"P{n}C2", name=f"Xã Hai {n}", level=UnitLevel.COMMUNE, parent=other_parent
        )
        committee = AgencyKind.PEOPLES_COMMITTEE
        self.committee = AgencyFactory(
            code=f"H{n}", unit=self.unit, kind=committee, is_receiving_desk=False
        )
        self.centre = AgencyFactory(
            code=f"H{n}.30", unit=self.unit, kind=AgencyKind.ONE_STOP_CENTRE, is_receiving_desk=True
        )
        self.department = AgencyFactory(
            code=f"H{n}.01", unit=self.unit, kind=AgencyKind.DEPARTMENT, is_receiving_desk=False
        )
        self.other_department = AgencyFactory(
            code=f"H{n}.02", unit=self.unit, kind=AgencyKind.DEPARTMENT, is_receiving_desk=False
        )
        if layout == "2017":
            self.district = AgencyFactory(
                code=f"H{n}.D1", unit=self.district_unit, kind=committee, is_receiving_desk=True
            )
            self.other_district = AgencyFactory(
                code=f"H{n}.D2", unit=self.other_district_unit, kind=committee
            )
        else:
            self.district = self.other_district = None
        self.commune = AgencyFactory(code=f"H{n}.C1", unit=self.commune_unit, kind=committee)
        self.other_commune = AgencyFactory(
            code=f"H{n}.C2", unit=self.other_commune_unit, kind=committee
        )
        implementing = {
            UnitLevel.PROVINCE: self.department,
            UnitLevel.DISTRICT: self.district,
            UnitLevel.COMMUNE: self.commune,
        }[gov_level]
        self.version = ProcedureVersionFactory(
            implementing_agency=implementing, gov_level=gov_level
        )
        self.version.receiving_agencies.add(self.commune, self.other_commune, self.centre)
        self.citizen = CitizenFactory()
        self.desk, self.staff, self.leader = {}, {}, {}
        for name in ("commune", "other_commune", "centre", "district", "department"):
            agency = getattr(self, name)
            if agency is None:
                continue
            self.desk[name] = staff_user(agency, Role.DESK)
            self.staff[name] = staff_user(agency, Role.SPECIALIST)
            self.leader[name] = staff_user(agency, Role.LEADER)

    @property
    def code(self) -> str:
        return self.version.procedure.code

    def set_path(self, *steps: dict) -> None:
        save_path(self.version, list(steps))

    def commune_district_province_path(self) -> None:
        """Commune desk → district People's Committee → the department → back to the desk."""
        self.set_path(
            {"owner": StepOwner.RECEIVING, "name": "Tiếp nhận"},
            {
                "owner": StepOwner.LEVEL,
                "level": UnitLevel.DISTRICT,
                "kind": AgencyKind.PEOPLES_COMMITTEE,
                "name": "Xác nhận của huyện",
                "hours": "8",
            },
            {"owner": StepOwner.IMPLEMENTING, "name": "Thẩm định", "hours": "16"},
            {"owner": StepOwner.RECEIVING, "name": "Trả kết quả", "hours": "4", "returns": True},
        )

    def walk_in(self, at: str = "commune", **data):
        """A dossier filed at the desk of ``at`` (received at once, status 2)."""
        return file_dossier(
            procedure_code=self.code,
            applicant_user=None,
            data=applicant_data(**data),
            files={"to-khai": [pdf()]},
            channel=FilingChannel.DIRECT,
            actor=self.desk[at],
        )

    def online(self, at: str = "commune", **data):
        """An online dossier addressed to the desk of ``at`` (status 1)."""
        return file_dossier(
            procedure_code=self.code,
            applicant_user=self.citizen,
            data=applicant_data(receiving_agency=getattr(self, at).code, **data),
            files={"to-khai": [pdf()]},
            channel=FilingChannel.ONLINE,
            actor=self.citizen,
        )
