from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.models import AdministrativeUnit, Agency, AgencyKind, StaffMembership, UnitLevel, User
from portal.permissions import grants_for

pytestmark = pytest.mark.django_db


def counts() -> dict:
    return {
        "province": AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE).count(),
        "district": AdministrativeUnit.objects.filter(level=UnitLevel.DISTRICT).count(),
        "commune": AdministrativeUnit.objects.filter(level=UnitLevel.COMMUNE).count(),
        "department": Agency.objects.filter(kind=AgencyKind.DEPARTMENT).count(),
        "agencies": Agency.objects.count(),
        "users": User.objects.count(),
        "memberships": StaffMembership.objects.count(),
    }


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_2017_reproduces_the_seed_and_is_idempotent():
    output = seed()
    first = counts()
    assert first["province"] == 1
    assert first["district"] == 12
    assert first["commune"] == 147
    assert first["department"] == 18
    passwords = dict(User.objects.values_list("username", "password"))

    seed()

    assert counts() == first
    assert dict(User.objects.values_list("username", "password")) == passwords
    for username in (
        "admin",
        "citizen1",
        "citizen2",
        "desk.province",
        "desk.dalat",
        "desk.xuantruong",
        "officer.tnmt",
        "leader.tnmt",
    ):
        assert username in output


def test_demo_districts_carry_their_real_names():
    seed()
    names = set(
        AdministrativeUnit.objects.filter(level=UnitLevel.DISTRICT).values_list("name", flat=True)
    )
    for expected in (
        "Đà Lạt",
        "Bảo Lộc",
        "Lạc Dương",
        "Đơn Dương",
        "Đức Trọng",
        "Lâm Hà",
        "Bảo Lâm",
        "Di Linh",
        "Đạ Huoai",
        "Đạ Tẻh",
        "Cát Tiên",
        "Đam Rông",
    ):
        assert any(name.endswith(expected) for name in names), expected


def test_demo_accounts_hold_their_roles():
    seed()
    desk = User.objects.get(username="desk.xuantruong")
    agency = Agency.objects.get(pk=next(iter(grants_for(desk).agency_ids)))
    assert agency.unit.name == "Xã Xuân Trường"
    assert agency.unit.parent.name.endswith("Đà Lạt")
    leader = User.objects.get(username="leader.tnmt")
    assert grants_for(leader).has_any_role("leader")
    assert User.objects.get(username="citizen1").citizen_profile.phone
    assert User.objects.get(username="admin").is_superuser
    assert client_can_log_in("citizen1")


def client_can_log_in(username: str) -> bool:
    from django.test import Client

    client = Client()
    client.post("/accounts/login/", {"username": username, "password": "demo12345"})
    return "_auth_user_id" in client.session


def test_2025_layout_has_no_district_level():
    seed("--layout", "2025")
    current = counts()
    assert current["province"] == 1
    assert current["district"] == 0
    assert current["commune"] == 124
    commune = AdministrativeUnit.objects.get(name="Phường Xuân Trường - Đà Lạt")
    assert commune.parent.level == UnitLevel.PROVINCE
    desk = User.objects.get(username="desk.xuantruong")
    assert desk.memberships.get().agency.unit == commune
    seed("--layout", "2025")
    assert counts() == current


def test_switching_layouts_in_one_database_is_refused():
    seed()
    with pytest.raises(CommandError, match="already holds the 2017 layout"):
        seed("--layout", "2025")
