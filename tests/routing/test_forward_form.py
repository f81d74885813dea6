"""The processing page's “Chuyển xử lý” form: the receiving agency is chosen by name from a
select of the agencies the holder may forward to (grouped by level), not typed as a code."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dossiers.models import Dossier, Status
from portal.permissions import grants_for
from tests.factories import AgencyFactory
from tests.routing.factories import Province

pytestmark = pytest.mark.django_db


@pytest.fixture
def at_district(django_capture_on_commit_callbacks):
    """A dossier received at the commune and delivered to the district (first path step)."""
    p = Province("2017")
    p.commune_district_province_path()
    with django_capture_on_commit_callbacks(execute=True):
        dossier = p.walk_in()
    return p, dossier


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    grants_for(type(user).objects.get(pk=user.pk))  # warm, as after the user's first request
    return client


def forward_select(html: str) -> str:
    match = re.search(r'<select name="forward-agency".*?</select>', html, re.S)
    assert match, "the forward form has no agency select"
    return match.group(0)


def test_forward_form_offers_the_province_agencies_by_name_grouped_by_level(at_district):
    p, dossier = at_district
    elsewhere = Province("2017")
    p.other_department.is_active = False
    p.other_department.save()
    html = client_for(p.staff["district"]).get(f"/desk/dossiers/{dossier.code}/").content.decode()
    select = forward_select(html)
    assert "Mã cơ quan nhận" not in html
    assert f'<option value="{p.department.code}">{p.department.name} ({p.department.code})' in (
        select
    )
    assert f'value="{p.commune.code}"' in select and f'value="{p.other_district.code}"' in select
    # Not the holder itself, not an inactive agency, not another province's.
    assert f'value="{p.district.code}"' not in select
    assert f'value="{p.other_department.code}"' not in select
    assert f'value="{elsewhere.department.code}"' not in select
    # Groups in level order: province, district, commune; the empty choice follows the path.
    groups = re.findall(r'<optgroup label="([^"]+)">', select)
    assert groups == ["Cấp tỉnh", "Cấp huyện", "Cấp xã"]
    assert re.search(r'<option value="" selected>— Bước tiếp theo trong quy trình —', select)
    assert '<label for="id_forward-agency">Cơ quan nhận' in html


def test_choosing_an_agency_forwards_there(at_district, django_capture_on_commit_callbacks):
    p, dossier = at_district
    client = client_for(p.staff["district"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/desk/dossiers/{dossier.code}/actions/forward/",
            {"forward-agency": p.other_department.code, "forward-note": "Sở khác xử lý"},
        )
    assert response.status_code == 302
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.current_agency == p.other_department
    assert dossier.status == Status.PROCESSING


def test_an_agency_outside_the_list_is_refused_on_the_field(at_district):
    p, dossier = at_district
    elsewhere = Province("2017")
    response = client_for(p.staff["district"]).post(
        f"/desk/dossiers/{dossier.code}/actions/forward/",
        {"forward-agency": elsewhere.department.code},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in forward_select(html)
    assert (
        f"Không thể chuyển đến cơ quan {elsewhere.department.code}: hãy chọn một cơ quan trong "
        "danh sách." in html
    )
    assert Dossier.objects.get(pk=dossier.pk).current_agency == p.district


def test_forward_options_cost_one_list_query(at_district):
    p, dossier = at_district
    client = client_for(p.staff["district"])
    with CaptureQueriesContext(connection) as few:
        before = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    for _ in range(20):
        AgencyFactory(unit=p.other_commune_unit)
    with CaptureQueriesContext(connection) as many:
        after = client.get(f"/desk/dossiers/{dossier.code}/").content.decode()
    assert forward_select(after).count("<option") == forward_select(before).count("<option") + 20
    assert len(many) == len(few)
