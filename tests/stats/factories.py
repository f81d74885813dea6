"""Worlds for the statistics tests: two agencies at different levels with their catalogs and
staff, dossiers driven through the real services (so the listeners count them)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from dossiers.filing import file_dossier
from dossiers.models import FilingChannel
from dossiers.ratings import rate_dossier
from dossiers.workflow import transition
from portal.models import AgencyKind
from procedures.models import ServiceLevel
from tests.dossiers.factories import Catalog, applicant_data, pdf
from tests.factories import AgencyFactory, UnitFactory


def district_agency(name: str = "Ủy ban nhân dân Huyện Thử Nghiệm"):
    unit = UnitFactory(district=True)
    return AgencyFactory(
        name=name, unit=unit, kind=AgencyKind.PEOPLES_COMMITTEE, is_receiving_desk=True
    )


@dataclass
class World:
    commune: Catalog  # level 3, commune
    district: Catalog  # level 4, district, postal eligible

    @property
    def catalogs(self) -> list[Catalog]:
        return [self.commune, self.district]


def make_world() -> World:
    commune = Catalog()
    district = Catalog(
        agency=district_agency(),
        gov_level="district",
        service_level=ServiceLevel.FULL,
        postal_eligible=True,
        channels=[("online", 2), ("direct", 3), ("postal", 4)],
    )
    return World(commune=commune, district=district)


def file(catalog: Catalog, channel: str = FilingChannel.ONLINE, **data):
    files = {"to-khai": [pdf()]}
    if channel == FilingChannel.ONLINE:
        return file_dossier(
            procedure_code=catalog.code,
            applicant_user=catalog.citizen,
            data=applicant_data(**data),
            files=files,
            channel=channel,
            actor=catalog.citizen,
        )
    return file_dossier(
        procedure_code=catalog.code,
        applicant_user=catalog.citizen,
        data=applicant_data(**data),
        files=files,
        channel=channel,
        actor=catalog.desk,
    )


def step(dossier, catalog: Catalog, rng: random.Random) -> str | None:
    """Apply one random action allowed in the dossier's status; returns its name."""
    dossier.refresh_from_db()
    s = dossier.status
    options: list[tuple[str, object, dict]] = []
    if s in (1, 2, 4, 5, 6) and rng.random() < 0.06:
        transition(dossier.code, "withdraw", catalog.citizen, reason="Không cần nữa")
        return "withdraw"
    if s == 1:
        options = [("receive", catalog.desk, {})] * 6 + [
            ("refuse", catalog.desk, {"reason": "Sai thủ tục"})
        ]
    elif s in (2, 4):
        options = [
            ("assign", catalog.desk, {"assignee": catalog.specialist.username}),
            ("assign", catalog.desk, {"assignee": catalog.leader.username}),
            (
                "request-supplement",
                catalog.specialist,
                {"reason": "Thiếu giấy tờ", "documents": ["Tờ khai"]},
            ),
            ("request-payment", catalog.specialist, {"amount": 50000, "reason": "Lệ phí"}),
            ("suspend", catalog.leader, {"reason": "Chờ xác minh"}),
        ]
        if s == 4:
            options += [
                (
                    "complete",
                    catalog.leader,
                    {"result_summary": "Đã cấp", "result_file": pdf("ket-qua.pdf")},
                )
            ] * 4
    elif s == 5:
        options = [
            ("supplement", catalog.citizen, {"files": {"to-khai": [pdf("bo-sung.pdf", b"1")]}})
        ]
    elif s == 6:
        options = [("confirm-payment", catalog.specialist, {"receipt_number": "BL-1"})]
    elif s == 8:
        options = [("resume", catalog.leader, {"reason": "Đã xác minh"})]
    elif s == 9:
        options = [("return", catalog.desk, {"method": "desk"})]
    elif s == 10 and not hasattr(dossier, "rating") and dossier.applicant_id:
        rate_dossier(dossier.code, catalog.citizen, score=rng.randint(1, 5), comment="")
        return "rate"
    if not options:
        return None
    action, actor, payload = rng.choice(options)
    transition(dossier.code, action, actor, **payload)
    return action
