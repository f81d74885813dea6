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


# --- the shared cache of memberships (across requests) -----------------------------------------


def fresh(user):
    """The same user as the next request loads it (no per-object cache)."""
    return type(user).objects.get(pk=user.pk)


def test_memberships_are_shared_across_requests(django_assert_num_queries):
    agency = AgencyFactory()
    user = staff_user(agency, Role.DESK)
    assert grants_for(fresh(user)).has_role(agency.pk, Role.DESK)
    again = fresh(user)
    with django_assert_num_queries(0):
        assert grants_for(again).has_role(agency.pk, Role.DESK)


def test_a_role_given_or_taken_shows_at_the_next_request():
    agency, other = AgencyFactory(), AgencyFactory()
    user = staff_user(agency, Role.DESK)
    assert grants_for(fresh(user)).agency_ids == {agency.pk}
    membership = MembershipFactory(user=user, agency=other, role=Role.LEADER)
    assert grants_for(fresh(user)).has_role(other.pk, Role.LEADER)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    assert grants_for(fresh(user)).agency_ids == {agency.pk}
    user.memberships.all().delete()
    assert not grants_for(fresh(user)).is_staff_member


def test_an_agency_switched_off_takes_its_roles_at_once():
    agency = AgencyFactory()
    user = staff_user(agency, Role.DESK)
    assert grants_for(fresh(user)).is_staff_member
    agency.is_active = False
    agency.save()
    assert not grants_for(fresh(user)).is_staff_member


def test_superuser_flag_is_never_taken_from_the_cache():
    user = staff_user(AgencyFactory(), Role.DESK)
    assert not grants_for(fresh(user)).is_superuser
    type(user).objects.filter(pk=user.pk).update(is_superuser=True)
    assert grants_for(fresh(user)).is_superuser


def test_rows_read_before_a_change_are_never_served_after_it(monkeypatch):
    """A request that read the memberships before a revocation and stores them after it must
    not bring the revoked role back."""
    from portal import permissions

    agency = AgencyFactory()
    user = staff_user(agency, Role.DESK)
    read = permissions._read_memberships

    def revoke_meanwhile(user_id):
        rows = read(user_id)
        user.memberships.all().delete()  # committed while this request was running
        return rows

    monkeypatch.setattr(permissions, "_read_memberships", revoke_meanwhile)
    assert grants_for(fresh(user)).is_staff_member  # this request saw the old rows
    monkeypatch.setattr(permissions, "_read_memberships", read)
    assert not grants_for(fresh(user)).is_staff_member  # the next one does not
