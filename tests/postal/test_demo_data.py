"""The demo seeder on the real Lâm Đồng units: the tariff rows and the desks' postal
addresses, resolved from the agencies' own addresses; idempotent."""

import pytest

from portal.demo import seed_hierarchy
from postal.addresses import resolve_commune
from postal.demo import seed_postal
from postal.models import AgencyPostalAddress, TariffRate

pytestmark = pytest.mark.django_db


def test_seed_postal_declares_the_demo_desks_and_is_idempotent():
    seed_hierarchy("2017")
    seed_postal(layout="2017")
    centre = AgencyPostalAddress.objects.select_related("commune__parent").get(
        agency__code="H36.30"
    )
    assert (centre.commune.name, centre.commune.parent.name) == ("Phường 4", "Thành phố Đà Lạt")
    dalat = AgencyPostalAddress.objects.get(agency__code="H36.672")
    assert dalat.commune == centre.commune
    counts = (AgencyPostalAddress.objects.count(), TariffRate.objects.count())
    assert counts[0] > 100 and counts[1] == 3  # every commune desk, the centre, Đà Lạt
    seed_postal(layout="2017")
    assert (AgencyPostalAddress.objects.count(), TariffRate.objects.count()) == counts


def test_real_addresses_resolve_on_the_real_unit_list():
    seed_hierarchy("2017")
    found = resolve_commune("12 Trần Phú, Phường 4, Đà Lạt")
    assert (found.name, found.parent.name) == ("Phường 4", "Thành phố Đà Lạt")
    found = resolve_commune("Thôn 1, Xã Xuân Trường, TP. Đà Lạt, Lâm Đồng")
    assert found is not None and found.name == "Xã Xuân Trường"
