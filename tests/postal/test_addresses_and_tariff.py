"""Addresses down to commune level against the unit list, and postage from the tariff."""

import datetime

import pytest

from dossiers.errors import ValidationError
from portal.models import AdministrativeUnit
from postal.addresses import commune_by_code, fold, full_address, resolve_commune
from postal.models import TariffRate
from postal.tariff import postage_for, zone_between

pytestmark = pytest.mark.django_db


def test_fold_ignores_marks_case_and_punctuation():
    assert fold("Phường  4,  Thành phố ĐÀ LẠT") == "phuong 4 thanh pho da lat"
    assert fold("Xã Đạ Tẻh") == fold("xa da teh")


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("12 Trần Phú, Phường 4, Đà Lạt", "phuong4"),
        ("12 Tran Phu, phuong 4, da lat", "phuong4"),
        ("5 Lê Hồng Phong, Phường 1, Thành phố Đà Lạt, Lâm Đồng", "phuong1"),
        ("Phường 1, TP Bảo Lộc", "baoloc1"),
        ("Phường 1, Lâm Đồng", None),  # two namesakes, nothing decides
        ("Phường 14, Đà Lạt", None),  # not "Phường 1"
        ("Thôn 3, xã Không Có", None),
        ("", None),
    ],
)
def test_the_commune_is_recognised_in_free_text(units, address, expected):
    found = resolve_commune(address)
    assert found == (getattr(units, expected) if expected else None)


def test_an_official_code_outside_the_unit_list_is_refused(units):
    assert commune_by_code("24760") == units.phuong4
    for bad in ("99999", "672", "68", "", "2476\x00", "x" * 30):  # unknown, district, NUL …
        with pytest.raises(ValidationError) as error:
            commune_by_code(bad)
        assert "danh mục đơn vị hành chính" in error.value.message_dict["commune"][0]


def test_a_commune_no_longer_valid_is_refused(units):
    AdministrativeUnit.objects.filter(pk=units.phuong1.pk).update(
        valid_to=datetime.date(2025, 6, 30)
    )
    with pytest.raises(ValidationError):
        commune_by_code(units.phuong1.code)


def test_full_address_adds_what_the_street_does_not_say(units):
    assert full_address("36 Trần Phú", units.phuong4) == (
        "36 Trần Phú, Phường 4, Thành phố Đà Lạt, Tỉnh Lâm Đồng"
    )
    assert full_address("36 Trần Phú, Phường 4", units.phuong4).count("Phường 4") == 1


def test_zones(units):
    assert zone_between(units.phuong4, units.phuong4) == "local"
    assert zone_between(units.phuong4, units.phuong1) == "local"
    assert zone_between(units.phuong4, units.baoloc1) == "province"
    assert zone_between(units.phuong4, units.phucxa) == "national"


def test_postage_comes_from_the_admin_table_then_the_setting(settings, units):
    settings.POSTAL_TARIFF = {"local": 21_000, "province": 29_000, "national": 39_000}
    assert postage_for("province") == 29_000
    today = datetime.date.today()
    TariffRate.objects.create(zone="province", postage_vnd=30_000, valid_from=today)
    TariffRate.objects.create(
        zone="province", postage_vnd=99_000, valid_from=today + datetime.timedelta(days=30)
    )
    assert postage_for("province") == 30_000  # the future rate is not in force yet
    assert postage_for("province", on=today + datetime.timedelta(days=31)) == 99_000
    assert postage_for("national") == 39_000
