import pytest
from django.contrib.auth.models import AnonymousUser

from portal.models import Role
from portal.permissions import ANONYMOUS, forget_grants, grants_for
from tests.factories import AgencyFactory, MembershipFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db


def test_anonymous_has_no_grants():
    assert grants_for(AnonymousUser()) is ANONYMOUS
    assert not grants_for(None).is_authenticated


def test_roles_are_grouped_by_agency():
    desk_agency, other = AgencyFactory(), AgencyFactory()
    user = staff_user(desk_agency, Role.DESK, Role.LEADER)
    MembershipFactory(user=user, agency=other, role=Role.SPECIALIST)

    grants = grants_for(user)

    assert grants.has_role(desk_agency.pk, Role.LEADER)
    assert not grants.has_role(other.pk, Role.LEADER)
    assert grants.agencies_with(Role.DESK) == {desk_agency.pk}
    assert grants.agency_ids == {desk_agency.pk, other.pk}
    assert grants.is_staff_member


def test_inactive_memberships_and_agencies_grant_nothing():
    agency = AgencyFactory()
    retired = AgencyFactory(is_active=False)
    user = UserFactory()
    MembershipFactory(user=user, agency=agency, role=Role.DESK, is_active=False)
    MembershipFactory(user=user, agency=retired, role=Role.DESK)

    assert not grants_for(user).is_staff_member


def test_grants_are_read_once_per_user_object(django_assert_num_queries):
    user = staff_user(AgencyFactory())
    with django_assert_num_queries(1):
        for _ in range(5):
            grants_for(user)
    forget_grants(user)
    with django_assert_num_queries(1):
        grants_for(user)


def test_reference_data_is_public_but_only_superusers_act_on_it():
    from portal.models import Agency

    agency = AgencyFactory()
    citizen = UserFactory()
    root = UserFactory(is_superuser=True)
    assert list(Agency.objects.visible_to(AnonymousUser())) == [agency]
    assert not Agency.objects.actionable_by(citizen).exists()
    assert list(Agency.objects.actionable_by(root)) == [agency]
