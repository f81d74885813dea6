"""Demo data of the postal app (``seed_demo`` runs ``seed_postal`` through DEMO_SEEDERS):
the current tariff as admin-editable rows, and the postal address of the demo desks.
Idempotent: a second run finds every row and changes nothing."""

from __future__ import annotations

import datetime
from typing import TextIO

from django.db import transaction

from portal.models import Agency, UnitLevel
from postal import addresses
from postal.models import AgencyPostalAddress, TariffRate
from postal.tariff import DEFAULT_TARIFF

TARIFF_FROM = datetime.date(2025, 1, 1)
#: Desks whose agency row has no address naming a commune: (agency code, street, commune name,
#: code of the commune's parent unit). Illustrative demo data.
DEMO_DESK_ADDRESSES = [("H36.672", "Trụ sở UBND thành phố, đường Hoàng Văn Thụ", "Phường 4", "672")]


@transaction.atomic
def seed_postal(layout: str = "2017", stdout: TextIO | None = None) -> None:
    for zone, amount in DEFAULT_TARIFF.items():
        TariffRate.objects.get_or_create(
            zone=zone,
            valid_from=TARIFF_FROM,
            defaults={"postage_vnd": amount, "note": "Biểu cước minh họa (dữ liệu mẫu)"},
        )
    declared = 0
    for code, street, commune_name, parent_code in DEMO_DESK_ADDRESSES:
        agency = Agency.objects.filter(code=code).first()
        commune = addresses.communes().filter(name=commune_name, parent__code=parent_code).first()
        if agency is not None and commune is not None:
            _row, created = AgencyPostalAddress.objects.get_or_create(
                agency=agency, defaults={"street": street, "commune": commune}
            )
            declared += created
    desks = Agency.objects.filter(is_receiving_desk=True, is_active=True).select_related("unit")
    for agency in desks.filter(postal_address__isnull=True):
        commune = addresses.resolve_commune(agency.address) if agency.address else None
        if commune is None and agency.unit.level == UnitLevel.COMMUNE:
            commune = agency.unit
        if commune is None:
            continue
        AgencyPostalAddress.objects.create(
            agency=agency, street=agency.address or agency.name, commune=commune
        )
        declared += 1
    if stdout is not None:
        stdout.write(f"postal: tariff rows ready, {declared} desk postal addresses declared\n")
