"""Postage from the carrier's tariff (configurable): an admin-edited ``TariffRate`` table,
falling back to the ``POSTAL_TARIFF`` setting (VND per zone) when the table has no rate."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from portal.models import AdministrativeUnit, UnitLevel
from postal.models import TariffRate, TariffZone

DEFAULT_TARIFF = {
    TariffZone.LOCAL: 20_000,
    TariffZone.PROVINCE: 28_000,
    TariffZone.NATIONAL: 38_000,
}


def zone_between(a: AdministrativeUnit, b: AdministrativeUnit) -> str:
    """Local within one commune or one district; province within a province; else national."""
    if a.pk == b.pk:
        return TariffZone.LOCAL
    a_district, b_district = a.ancestor_at(UnitLevel.DISTRICT), b.ancestor_at(UnitLevel.DISTRICT)
    if a_district is not None and b_district is not None and a_district.pk == b_district.pk:
        return TariffZone.LOCAL
    if a.province().pk == b.province().pk:
        return TariffZone.PROVINCE
    return TariffZone.NATIONAL


def postage_for(zone: str, on: datetime.date | None = None) -> int:
    on = on or timezone.localdate()
    rate = (
        TariffRate.objects.filter(zone=zone, valid_from__lte=on)
        .order_by("-valid_from")
        .values_list("postage_vnd", flat=True)
        .first()
    )
    if rate is not None:
        return int(rate)
    configured = {**DEFAULT_TARIFF, **(getattr(settings, "POSTAL_TARIFF", None) or {})}
    return int(configured[zone])
