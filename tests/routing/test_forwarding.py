"""The ``forward`` action (interfaces.md: 2, 4 → 4 at another agency; holding agency staff;
body ``agency`` (code), ``note``) through the API, on the same engine."""

import pytest

from dossiers.models import Dossier, DossierEvent, Status
from dossiers.models_routing import DossierRoute, Handover
from tests.routing.factories import Province

pytestmark = pytest.mark.django_db


def act(client, user, code, action, **body):
    client.force_authenticate(user)
    return client.post(f"/api/v1/dossiers/{code}/actions/{action}/", body, format="json")


@pytest.fixture
def at_district(django_capture_on_commit_callbacks):
    """A dossier received at the commune and delivered to the district (first path step)."""
    p = Province("2017")
    p.commune_district_province_path()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = p.walk_in()
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.district
    return p, dossier


def test_forward_without_an_agency_follows_the_path(
    api_client, at_district, django_capture_on_commit_callbacks
):
    p, dossier = at_district
    with django_capture_on_commit_callbacks(execute=True):
        response = act(api_client, p.staff["district"], dossier.code, "forward", note="Đã xác nhận")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == Status.PROCESSING
    dossier.refresh_from_db()
    assert dossier.current_agency == p.department
    event = DossierEvent.objects.get(dossier=dossier, action="forward")
    assert event.note == "Đã xác nhận" and event.payload["to_agency"] == p.department.code
    assert event.actor == p.staff["district"]
    step = Handover.objects.get(dossier=dossier, reason="forward")
    assert step.step_index == 2 and step.step_hours == 16
    assert DossierRoute.objects.get(dossier=dossier).current_step == 2
    # The district's own step record is finished; the department's is running.
    district_step = Handover.objects.get(dossier=dossier, to_agency=p.district)
    assert district_step.finished_at == step.created_at


def test_forward_to_a_named_agency_of_the_province(
    api_client, at_district, django_capture_on_commit_callbacks
):
    p, dossier = at_district
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            api_client, p.staff["district"], dossier.code, "forward", agency=p.other_department.code
        )
    assert response.status_code == 200, response.json()
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.other_department
    # Not a step of the path: the route stays on the district's step, no time budget.
    assert DossierRoute.objects.get(dossier=dossier).current_step == 1
    assert Handover.objects.get(dossier=dossier, reason="forward").step_hours is None


def test_forward_outside_the_province_is_refused_with_a_reason(api_client, at_district):
    p, dossier = at_district
    elsewhere = Province()
    response = act(
        api_client, p.staff["district"], dossier.code, "forward", agency=elsewhere.department.code
    )
    assert response.status_code == 400
    assert "không thuộc tỉnh" in response.json()["agency"][0]
    assert not Handover.objects.filter(dossier=dossier, reason="forward").exists()
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.district


@pytest.mark.parametrize(
    ("agency", "message"),
    [("NOPE.404", "không tồn tại"), ("A\x00B", "không hợp lệ"), ("x" * 31, "Tối đa")],
)
def test_forward_to_a_bad_agency_code_is_a_400(api_client, at_district, agency, message):
    p, dossier = at_district
    response = act(api_client, p.staff["district"], dossier.code, "forward", agency=agency)
    assert response.status_code == 400
    assert message in response.json()["agency"][0]


def test_forward_to_an_inactive_agency_or_to_itself_is_refused(api_client, at_district):
    p, dossier = at_district
    p.other_department.is_active = False
    p.other_department.save()
    staff = p.staff["district"]
    response = act(api_client, staff, dossier.code, "forward", agency=p.other_department.code)
    assert response.status_code == 400 and "ngừng hoạt động" in response.json()["agency"][0]
    response = act(api_client, staff, dossier.code, "forward", agency=p.district.code)
    assert response.status_code == 400 and "chính cơ quan này" in response.json()["agency"][0]


def test_forward_while_a_hand_over_is_in_flight_is_a_409(
    api_client, at_district, django_capture_on_commit_callbacks
):
    p, dossier = at_district
    with django_capture_on_commit_callbacks(execute=False):  # not delivered yet
        assert act(api_client, p.staff["district"], dossier.code, "forward").status_code == 200
    response = act(
        api_client, p.staff["district"], dossier.code, "forward", agency=p.other_department.code
    )
    assert response.status_code == 409
    assert p.department.name in response.json()["detail"]


def test_only_the_holding_agency_may_forward(api_client, at_district):
    p, dossier = at_district
    # The commune received it (so it may see it) but no longer holds it.
    assert act(api_client, p.desk["commune"], dossier.code, "forward").status_code == 403
    assert act(api_client, p.staff["department"], dossier.code, "forward").status_code == 404
    assert act(api_client, p.citizen, dossier.code, "forward").status_code == 404
    api_client.force_authenticate(None)
    assert api_client.post(
        f"/api/v1/dossiers/{dossier.code}/actions/forward/", {}, format="json"
    ).status_code in (401, 403)


def test_forward_needs_a_running_dossier(api_client, django_capture_on_commit_callbacks):
    p = Province()
    dossier = p.online()
    response = act(api_client, p.desk["commune"], dossier.code, "forward")
    assert response.status_code == 409  # status 1: not received yet


def test_forward_past_the_last_step_asks_for_an_agency(
    api_client, django_capture_on_commit_callbacks
):
    from portal.models import UnitLevel

    p = Province(gov_level=UnitLevel.COMMUNE)  # a one-step route at the commune
    with django_capture_on_commit_callbacks(execute=True):
        dossier = p.walk_in()
    response = act(api_client, p.staff["commune"], dossier.code, "forward")
    assert response.status_code == 400 and "bước cuối" in response.json()["agency"][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            api_client, p.staff["commune"], dossier.code, "forward", agency=p.department.code
        )
    assert response.status_code == 200
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.department
    # Whoever decides, the result comes back to the desk that returns it.
    with django_capture_on_commit_callbacks(execute=True):
        response = act(
            api_client,
            p.leader["department"],
            dossier.code,
            "complete",
            result_summary="Đã giải quyết",
            generate=False,
        )
    assert response.status_code == 400  # no result file: the transition refuses, nothing moves
    from dossiers.workflow import transition
    from tests.dossiers.factories import pdf

    with django_capture_on_commit_callbacks(execute=True):
        transition(
            dossier.code,
            "complete",
            p.leader["department"],
            result_summary="Đã giải quyết",
            result_file=pdf("kq.pdf"),
        )
    dossier.refresh_from_db()
    assert dossier.current_agency == p.commune and dossier.status == Status.RESULT_READY
