"""Who sees which dossier (visible_to) and whose queue it is in (actionable_by)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from dossiers.models import Dossier
from dossiers.workflow import transition
from portal.models import Role
from tests.dossiers.conftest import file_online
from tests.dossiers.factories import Catalog, pdf
from tests.factories import AgencyFactory, MembershipFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db


def visible(user) -> set[str]:
    return set(Dossier.objects.visible_to(user).values_list("code", flat=True))


def actionable(user) -> set[str]:
    return set(Dossier.objects.actionable_by(user).values_list("code", flat=True))


def test_visibility_by_role():
    a, b = Catalog(), Catalog()
    mine, theirs = file_online(a), file_online(b)

    assert visible(AnonymousUser()) == set()
    assert visible(a.citizen) == {mine.code}
    assert visible(b.citizen) == {theirs.code}
    assert visible(a.desk) == visible(a.specialist) == {mine.code}
    assert visible(UserFactory(is_superuser=True)) == {mine.code, theirs.code}
    assert visible(UserFactory()) == set()


def test_holding_and_returning_agencies_see_it_too():
    catalog = Catalog()
    dossier = file_online(catalog)
    holder, returner = AgencyFactory(), AgencyFactory()
    Dossier.objects.filter(pk=dossier.pk).update(current_agency=holder, returning_agency=returner)
    assert visible(staff_user(holder, Role.SPECIALIST)) == {dossier.code}
    assert visible(staff_user(returner, Role.DESK)) == {dossier.code}


def test_staff_who_is_also_a_citizen_sees_both():
    a, b = Catalog(), Catalog()
    file_online(a)
    MembershipFactory(user=b.citizen, agency=a.agency, role=Role.SPECIALIST)
    own = file_online(b)
    assert visible(b.citizen) == {own.code, *visible(a.desk)}


def test_queues_follow_the_status():
    catalog = Catalog()
    dossier = file_online(catalog)
    assert actionable(catalog.desk) == {dossier.code}  # awaiting intake
    assert actionable(catalog.specialist) == set()
    assert actionable(catalog.citizen) == {dossier.code}  # may withdraw

    transition(dossier.code, "receive", catalog.desk)
    assert actionable(catalog.specialist) == {dossier.code}

    transition(dossier.code, "assign", catalog.desk, assignee=catalog.specialist.username)
    transition(dossier.code, "complete", catalog.leader, result_summary="Xong", result_file=pdf())
    assert actionable(catalog.specialist) == set()
    assert actionable(catalog.desk) == {dossier.code}  # to return
    assert actionable(catalog.citizen) == set()
    assert actionable(Catalog().desk) == set()
