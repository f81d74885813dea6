"""Processing paths as data: validation at edit time (service and admin), resolution of steps
relative to the receiving unit in both layouts, and the defaults from the procedure's level."""

import pytest
from django.core.exceptions import ValidationError

from portal.models import AgencyKind, UnitLevel
from procedures.models_paths import (
    ProcessingPath,
    StepOwner,
    StepSpec,
    default_steps,
    resolve_step,
    save_path,
    steps_for,
)
from tests.factories import UserFactory
from tests.routing.factories import Province

pytestmark = pytest.mark.django_db

RECEIVE = {"owner": StepOwner.RECEIVING, "name": "Tiếp nhận"}
RETURN = {"owner": StepOwner.RECEIVING, "name": "Trả", "returns": True}


def messages(exc: ValidationError) -> str:
    return " | ".join(exc.messages)


# --- edit time ------------------------------------------------------------------------------


def test_a_valid_path_is_stored_in_order():
    p = Province()
    p.commune_district_province_path()
    path, specs = steps_for(p.version)
    assert path is not None
    assert [s.owner for s in specs] == ["receiving", "level", "implementing", "receiving"]
    assert specs[1].level == UnitLevel.DISTRICT and specs[1].budget == 8
    assert [s.returns for s in specs] == [False, False, False, True]


def test_an_agency_that_no_longer_exists_is_refused():
    p = Province()
    gone = p.other_department
    gone_id = gone.pk
    gone.delete()
    with pytest.raises(ValidationError) as exc:
        save_path(p.version, [RECEIVE, {"owner": "agency", "agency_id": gone_id}, RETURN])
    assert "Bước 2: cơ quan không tồn tại" in messages(exc.value)
    assert not ProcessingPath.objects.exists()


def test_an_inactive_agency_is_refused():
    p = Province()
    p.other_department.is_active = False
    p.other_department.save()
    with pytest.raises(ValidationError) as exc:
        save_path(p.version, [RECEIVE, {"owner": "agency", "agency": p.other_department}, RETURN])
    assert "đã ngừng hoạt động" in messages(exc.value)


def test_an_agency_outside_the_province_is_refused():
    p, elsewhere = Province(), Province()
    with pytest.raises(ValidationError) as exc:
        save_path(p.version, [RECEIVE, {"owner": "agency", "agency": elsewhere.department}, RETURN])
    assert "không thuộc tỉnh" in messages(exc.value)


def test_the_same_agency_twice_in_a_row_is_a_loop():
    p = Province()
    dept = {"owner": "agency", "agency": p.other_department}
    with pytest.raises(ValidationError) as exc:
        save_path(p.version, [RECEIVE, dept, dept, RETURN])
    assert "hai lần liên tiếp" in messages(exc.value)


def test_the_implementing_agency_named_twice_in_a_row_is_a_loop():
    p = Province()
    with pytest.raises(ValidationError) as exc:
        save_path(
            p.version,
            [
                RECEIVE,
                {"owner": "implementing"},
                {"owner": "agency", "agency": p.department},
                RETURN,
            ],
        )
    assert "hai lần liên tiếp" in messages(exc.value)


def test_a_cycle_of_returns_is_a_loop():
    p = Province()
    district = {"owner": "level", "level": "district", "kind": "peoples_committee"}
    with pytest.raises(ValidationError) as exc:
        save_path(p.version, [RECEIVE, district, {"owner": "implementing"}, district, RETURN])
    assert "quay lại cơ quan của bước 2" in messages(exc.value)
    with pytest.raises(ValidationError) as exc:
        save_path(p.version, [RECEIVE, {"owner": "implementing"}, RECEIVE, district, RETURN])
    assert "quay lại cơ quan của bước 1" in messages(exc.value)


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([{"owner": "implementing", "returns": True}], "Bước 1 phải là bộ phận một cửa"),
        ([RECEIVE, {"owner": "implementing"}], "Chỉ bước cuối cùng là bước trả kết quả"),
        ([RETURN, {"owner": "implementing", "returns": True}], "Chỉ bước cuối cùng"),
        ([RECEIVE, {"owner": "level", "level": "district"}, RETURN], "chọn cấp và loại"),
        ([RECEIVE, {"owner": "implementing", "hours": "0"}, RETURN], "thời gian phải từ"),
        ([RECEIVE, {"owner": "nobody"}, RETURN], "chọn cơ quan thực hiện"),
        ([], "ít nhất một bước"),
    ],
)
def test_malformed_paths_are_refused_with_a_vietnamese_reason(steps, expected):
    p = Province()
    with pytest.raises(ValidationError) as exc:
        save_path(p.version, steps)
    assert expected in messages(exc.value)


def test_saving_again_replaces_the_steps_and_records_who():
    p = Province()
    admin = UserFactory()
    save_path(p.version, [RECEIVE, {"owner": "implementing"}, RETURN], actor=admin)
    save_path(p.version, [{"owner": "receiving", "returns": True}], actor=admin)
    path = ProcessingPath.objects.get(version=p.version)
    assert path.steps.count() == 1 and path.updated_by == admin


# --- resolution -----------------------------------------------------------------------------


def test_steps_resolve_relative_to_the_receiving_unit_2017():
    p = Province("2017")
    version = p.version
    district_pc = StepSpec(owner="level", level="district", kind=AgencyKind.PEOPLES_COMMITTEE)
    assert resolve_step(district_pc, version, p.commune) == p.district
    assert resolve_step(district_pc, version, p.other_commune) == p.other_district
    assert resolve_step(StepSpec(owner="implementing"), version, p.commune) == p.department
    assert resolve_step(StepSpec(owner="receiving"), version, p.other_commune) == p.other_commune


def test_a_district_procedure_goes_to_the_district_of_the_receiving_commune():
    p = Province("2017", gov_level=UnitLevel.DISTRICT)
    assert p.version.implementing_agency == p.district
    implementing = StepSpec(owner="implementing")
    assert resolve_step(implementing, p.version, p.commune) == p.district
    assert resolve_step(implementing, p.version, p.other_commune) == p.other_district


def test_the_2025_layout_has_no_district_and_the_rule_does_not_need_one():
    p = Province("2025")
    district_pc = StepSpec(owner="level", level="district", kind=AgencyKind.PEOPLES_COMMITTEE)
    from procedures.models_paths import PathError

    with pytest.raises(PathError) as exc:
        resolve_step(district_pc, p.version, p.commune)
    assert "không xác định được" in str(exc.value)
    assert resolve_step(StepSpec(owner="implementing"), p.version, p.commune) == p.department


def test_boundary_free_intake_resolves_from_whichever_desk_received():
    p = Province("2025")
    implementing = StepSpec(owner="implementing")
    for desk in (p.commune, p.other_commune, p.centre):
        assert resolve_step(implementing, p.version, desk) == p.department


def test_default_path_follows_the_procedure_level():
    p = Province()
    path, specs = steps_for(p.version)
    assert path is None
    assert [s.owner for s in specs] == ["receiving", "implementing", "receiving"]
    assert specs[-1].returns and specs[-1].budget == 8
    assert default_steps(p.version) == specs


def test_a_new_version_inherits_the_previous_versions_path():
    from tests.dossiers.factories import ProcedureVersionFactory

    p = Province()
    p.commune_district_province_path()
    p.version.state = "superseded"
    p.version.save()
    newer = ProcedureVersionFactory(
        procedure=p.version.procedure, number=2, implementing_agency=p.department
    )
    path, specs = steps_for(newer)
    assert path is not None and path.version == p.version and len(specs) == 4


# --- the admin editor -----------------------------------------------------------------------


def _inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "1",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def test_the_admin_refuses_a_loop_and_saves_a_valid_path(client):
    p = Province()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = "/admin/procedures/processingpath/add/"
    assert client.get(url).status_code == 200
    agency = str(p.other_department.pk)
    looping = _inline(
        "steps",
        [
            {"position": "1", "owner": "receiving"},
            {"position": "2", "owner": "agency", "agency": agency},
            {"position": "3", "owner": "agency", "agency": agency},
            {"position": "4", "owner": "receiving", "returns_result": "on"},
        ],
    )
    response = client.post(url, {"version": str(p.version.pk), "note": "", **looping})
    assert response.status_code == 200
    assert "hai lần liên tiếp" in response.content.decode()
    assert not ProcessingPath.objects.exists()
    valid = _inline(
        "steps",
        [
            {"position": "1", "owner": "receiving"},
            {"position": "2", "owner": "agency", "agency": agency, "hours": "16"},
            {"position": "3", "owner": "receiving", "returns_result": "on"},
        ],
    )
    response = client.post(url, {"version": str(p.version.pk), "note": "", **valid})
    assert response.status_code == 302, response.content.decode()[:2000]
    path = ProcessingPath.objects.get(version=p.version)
    assert [s.owner for s in path.steps.order_by("position")] == [
        "receiving",
        "agency",
        "receiving",
    ]
    assert client.get("/admin/procedures/processingpath/").status_code == 200


def test_a_district_division_has_its_counterpart_in_the_other_district():
    from tests.dossiers.factories import ProcedureVersionFactory
    from tests.factories import AgencyFactory

    p = Province("2017")
    division = AgencyKind.DIVISION

    def divisions(unit):
        return {
            topic: AgencyFactory(name=f"Phòng {topic} {unit.name}", unit=unit, kind=division)
            for topic in ("Tư pháp", "Tài nguyên và Môi trường")
        }

    here, there = divisions(p.district_unit), divisions(p.other_district_unit)
    version = ProcedureVersionFactory(implementing_agency=here["Tư pháp"], gov_level="district")
    implementing = StepSpec(owner="implementing")
    assert resolve_step(implementing, version, p.commune) == here["Tư pháp"]
    assert resolve_step(implementing, version, p.other_commune) == there["Tư pháp"]


def test_an_inactive_implementing_agency_is_not_replaced_by_another_department():
    from procedures.models_paths import PathError

    p = Province("2025")
    p.department.is_active = False
    p.department.save()
    with pytest.raises(PathError) as exc:
        resolve_step(StepSpec(owner="implementing"), p.version, p.commune)
    assert "ngừng hoạt động" in str(exc.value)
