"""factory_boy factories for the portal core; apps add theirs in tests/<app>/factories.py."""

import factory

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

PASSWORD = "demo12345"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name", locale="vi_VN")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.vn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CitizenFactory(UserFactory):
    profile = factory.RelatedFactory(
        "tests.factories.CitizenProfileFactory", factory_related_name="user"
    )


class CitizenProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CitizenProfile

    user = factory.SubFactory(UserFactory)
    phone = factory.Sequence(lambda n: f"09{n:08d}")
    citizen_id = factory.Sequence(lambda n: f"0681{n:08d}")
    address = "12 Trần Phú, Phường 4, Đà Lạt"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AdministrativeUnit
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"U{n:05d}")
    name = factory.Sequence(lambda n: f"Xã Thử Nghiệm {n}")
    level = UnitLevel.COMMUNE
    parent = None

    class Params:
        province = factory.Trait(level=UnitLevel.PROVINCE, name="Tỉnh Lâm Đồng", parent=None)
        district = factory.Trait(level=UnitLevel.DISTRICT)


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"T{n:03d}.{n:02d}")
    name = factory.Sequence(lambda n: f"Cơ quan thử nghiệm {n}")
    unit = factory.SubFactory(UnitFactory)
    kind = AgencyKind.PEOPLES_COMMITTEE
    is_receiving_desk = True


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMembership

    user = factory.SubFactory(UserFactory)
    agency = factory.SubFactory(AgencyFactory)
    role = Role.DESK


def staff_user(agency: Agency, *roles: str, **user_fields) -> User:
    """A user holding ``roles`` (default: desk) in ``agency``."""
    user = UserFactory(**user_fields)
    for role in roles or (Role.DESK,):
        MembershipFactory(user=user, agency=agency, role=role)
    return user
