"""Filing online (status 1) and at the desk (walk-in, status 2)."""

import pytest
from django.core.files.storage import storages

from dossiers.errors import NotAllowed, TooLarge, ValidationError
from dossiers.filing import file_dossier, may_receive, receiving_agencies_for
from dossiers.models import Attachment, Dossier, DossierEvent, FilingChannel, Status
from portal.models import AgencyKind, CitizenProfile
from procedures import services
from procedures.models import Procedure, ServiceLevel
from tests.dossiers.conftest import file_online, file_walk_in
from tests.dossiers.factories import (
    Catalog,
    ProcedureVersionFactory,
    applicant_data,
    exe_renamed,
    pdf,
)
from tests.factories import AgencyFactory, UnitFactory

pytestmark = pytest.mark.django_db


def stored_files() -> list[str]:
    storage = storages["private"]
    found = []

    def walk(path):
        dirs, files = storage.listdir(path) if storage.exists(path) else ([], [])
        found.extend(f"{path}/{f}" for f in files)
        for d in dirs:
            walk(f"{path}/{d}")

    walk("dossiers")
    return found


class TestOnlineFiling:
    def test_submitted_dossier_has_status_1_a_code_and_an_intake_deadline(self, catalog, clock):
        dossier = file_online(catalog)

        assert dossier.status == Status.SUBMITTED
        assert dossier.code.startswith(f"{catalog.agency.code}-250303-")
        assert dossier.code.endswith("-0001")
        assert dossier.received_at is None and dossier.due_at is None
        # 8 working hours after Monday 08:00 → Tuesday 08:00.
        assert dossier.intake_due_at.isoformat().startswith("2025-03-04T08:00")
        assert dossier.receiving_agency == catalog.agency == dossier.current_agency
        assert dossier.applicant == catalog.citizen
        assert dossier.attachments.count() == 1
        event = dossier.events.get()
        assert (event.action, event.from_status, event.to_status) == ("submit", None, 1)
        assert event.attachment_ids == [dossier.attachments.get().pk]

    def test_filing_counts_on_the_procedure(self, catalog):
        file_online(catalog)
        file_online(catalog)
        assert Procedure.objects.get(pk=catalog.procedure.pk).filing_count == 2

    def test_profile_prefills_missing_applicant_data(self, catalog):
        profile = CitizenProfile.objects.get(user=catalog.citizen)
        dossier = file_dossier(
            procedure_code=catalog.code,
            applicant_user=catalog.citizen,
            data={},
            files={"to-khai": [pdf()]},
            channel=FilingChannel.ONLINE,
            actor=catalog.citizen,
        )
        assert dossier.applicant_phone == profile.phone
        assert dossier.applicant_id_number == profile.citizen_id
        assert dossier.applicant_address == profile.address
        assert dossier.applicant_name == catalog.citizen.get_full_name()

    def test_text_is_normalised_to_nfc(self, catalog):
        decomposed = "Nguye\u0302\u0303n Thi\u0323 Hoa\u0300"
        dossier = file_online(catalog, applicant_name=decomposed)
        assert dossier.applicant_name == "Nguyễn Thị Hoà"

    @pytest.mark.parametrize("level", [ServiceLevel.INFORMATION, ServiceLevel.FORMS])
    def test_only_levels_3_and_4_accept_online_filing(self, level):
        catalog = Catalog(service_level=level)
        with pytest.raises(ValidationError) as error:
            file_online(catalog)
        assert "procedure" in error.value.message_dict
        assert not Dossier.objects.exists()

    def test_unknown_procedure_is_a_field_error(self, catalog):
        with pytest.raises(ValidationError) as error:
            file_dossier(
                procedure_code="9.999999",
                applicant_user=catalog.citizen,
                data=applicant_data(),
                files={},
                channel=FilingChannel.ONLINE,
                actor=catalog.citizen,
            )
        assert "procedure" in error.value.message_dict

    def test_citizen_cannot_file_online_in_someone_elses_name(self, catalog):
        other = Catalog().citizen
        with pytest.raises(NotAllowed):
            file_dossier(
                procedure_code=catalog.code,
                applicant_user=other,
                data=applicant_data(),
                files={"to-khai": [pdf()]},
                channel=FilingChannel.ONLINE,
                actor=catalog.citizen,
            )


class TestBadInput:
    def test_missing_required_document_gives_a_vietnamese_error_per_document(self, catalog):
        with pytest.raises(ValidationError) as error:
            file_online(catalog, files={"giay-khac": [pdf()]})
        assert error.value.message_dict["doc_to-khai"] == [
            "Thiếu giấy tờ bắt buộc: Giấy tờ to-khai."
        ]
        assert not Dossier.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("applicant_id_number", "12345"),
            ("applicant_id_number", "06812345678a"),
            ("applicant_phone", "12345"),
            ("applicant_phone", "09123456789012"),
            ("applicant_email", "not-an-email"),
            ("applicant_name", "Nguyễn\x00"),
        ],
    )
    def test_invalid_applicant_fields(self, catalog, field, value):
        with pytest.raises(ValidationError) as error:
            file_online(catalog, **{field: value})
        assert field in error.value.message_dict
        assert not Dossier.objects.exists()

    def test_invalid_cccd_message_is_vietnamese(self, catalog):
        with pytest.raises(ValidationError) as error:
            file_online(catalog, applicant_id_number="123")
        assert error.value.message_dict["applicant_id_number"] == [
            "Số CCCD phải gồm đúng 12 chữ số."
        ]

    def test_exe_renamed_pdf_is_refused_and_nothing_is_written(self, catalog):
        with pytest.raises(ValidationError) as error:
            file_online(catalog, files={"to-khai": [exe_renamed()]})
        assert "doc_to-khai" in error.value.message_dict
        assert "không đúng định dạng" in error.value.message_dict["doc_to-khai"][0]
        assert not Dossier.objects.exists()
        assert stored_files() == []

    def test_oversize_file_is_refused(self, catalog, settings):
        settings.ATTACHMENT_MAX_BYTES = 1000
        with pytest.raises(TooLarge):
            file_online(catalog, files={"to-khai": [pdf(extra=b"x" * 2000)]})
        assert not Dossier.objects.exists()

    def test_oversize_dossier_is_refused(self, catalog, settings):
        settings.DOSSIER_ATTACHMENTS_MAX_BYTES = 500
        with pytest.raises(TooLarge):
            file_online(
                catalog,
                files={"to-khai": [pdf(extra=b"a" * 200)], "giay-khac": [pdf(extra=b"b" * 200)]},
            )
        assert stored_files() == []

    def test_unknown_document_field_is_refused(self, catalog):
        with pytest.raises(ValidationError) as error:
            file_online(catalog, files={"to-khai": [pdf()], "hack": [pdf()]})
        assert "doc_hack" in error.value.message_dict

    def test_postal_choices_need_a_postal_eligible_procedure(self, catalog):
        with pytest.raises(ValidationError) as error:
            file_online(catalog, result_delivery="post", delivery_address="1 Phan Đình Phùng")
        assert "result_delivery" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            file_online(catalog, pickup_by_post=True)
        assert "pickup_by_post" in error.value.message_dict

    def test_post_delivery_needs_an_address(self):
        catalog = Catalog(postal_eligible=True)
        with pytest.raises(ValidationError) as error:
            file_online(catalog, result_delivery="post")
        assert "delivery_address" in error.value.message_dict
        dossier = file_online(catalog, result_delivery="post", delivery_address="1 Hùng Vương")
        assert dossier.result_delivery == "post"

    def test_failure_after_files_were_written_leaves_nothing(self, catalog, monkeypatch):
        import dossiers.filing as filing

        def boom(*args, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(filing, "_filing_count_update", boom)
        with pytest.raises(RuntimeError):
            file_online(catalog)
        assert not Dossier.objects.exists()
        assert not Attachment.objects.exists()
        assert not DossierEvent.objects.exists()
        assert stored_files() == []


class TestDoubleSubmit:
    def test_same_submission_key_returns_the_same_dossier(self, catalog):
        first = file_online(catalog, submission_key="form-123")
        second = file_online(catalog, submission_key="form-123")
        assert first.pk == second.pk
        assert Dossier.objects.count() == 1
        assert Attachment.objects.count() == 1

    def test_a_repeat_gives_its_number_back_and_leaves_no_file(self, catalog):
        """The repeat is refused by the unique key at its INSERT (no lookup beforehand): its
        counter number, rows and files are rolled back."""
        first = file_online(catalog, submission_key="form-123")
        again = file_online(catalog, submission_key="form-123", files={"to-khai": [pdf("x.pdf")]})
        third = file_online(catalog, submission_key="form-124")
        assert again.pk == first.pk
        assert [d.code[-4:] for d in (first, third)] == ["0001", "0002"]  # no gap
        assert Attachment.objects.count() == 2
        assert len(stored_files()) == 2

    def test_a_repeat_is_answered_even_when_this_copy_would_be_refused(self, catalog):
        first = file_online(catalog, submission_key="form-123")
        assert file_online(catalog, submission_key="form-123", applicant_id_number="12") == first
        services.withdraw(catalog.procedure, reason="Bãi bỏ")
        assert file_online(catalog, submission_key="form-123") == first
        with pytest.raises(ValidationError):
            file_online(catalog, submission_key="form-999")

    def test_keys_are_per_user(self, catalog):
        mine = file_online(catalog, submission_key="same")
        other = Catalog()
        theirs = file_online(other, submission_key="same")
        assert mine.pk != theirs.pk


class TestWalkIn:
    def test_desk_filing_is_received_at_once(self, catalog, clock):
        dossier = file_walk_in(catalog)
        assert dossier.status == Status.RECEIVED
        assert dossier.channel == FilingChannel.DIRECT
        assert dossier.applicant is None
        assert dossier.received_at == clock.now
        # 3 working days from Monday 08:00 → Thursday 08:00.
        assert dossier.due_at.isoformat().startswith("2025-03-06T08:00")
        assert dossier.original_due_at == dossier.due_at == dossier.step_due_at
        event = dossier.events.get()
        assert (event.action, event.to_status, event.actor) == ("receive", 2, catalog.desk)

    def test_walk_in_works_for_any_published_level(self):
        catalog = Catalog(service_level=ServiceLevel.INFORMATION)
        assert file_walk_in(catalog).status == Status.RECEIVED

    def test_citizen_cannot_file_walk_in(self, catalog):
        with pytest.raises(NotAllowed):
            file_dossier(
                procedure_code=catalog.code,
                applicant_user=None,
                data=applicant_data(),
                files={"to-khai": [pdf()]},
                channel=FilingChannel.DIRECT,
                actor=catalog.citizen,
            )

    def test_desk_of_another_agency_cannot_receive_this_procedure(self, catalog):
        elsewhere = Catalog()
        with pytest.raises(ValidationError) as error:
            file_dossier(
                procedure_code=catalog.code,
                applicant_user=None,
                data=applicant_data(),
                files={"to-khai": [pdf()]},
                channel=FilingChannel.DIRECT,
                actor=elsewhere.desk,
            )
        assert "receiving_agency" in error.value.message_dict


class TestReceivingAgencies:
    def test_explicit_receiving_agencies_win(self):
        desk = AgencyFactory(is_receiving_desk=True)
        version = ProcedureVersionFactory()
        version.receiving_agencies.add(desk)
        assert receiving_agencies_for(version) == [desk]

    def test_department_is_received_at_the_one_stop_centre_of_its_unit(self):
        province = UnitFactory(province=True)
        department = AgencyFactory(
            unit=province, kind=AgencyKind.DEPARTMENT, is_receiving_desk=False
        )
        centre = AgencyFactory(
            unit=province, kind=AgencyKind.ONE_STOP_CENTRE, is_receiving_desk=True
        )
        AgencyFactory(unit=province, kind=AgencyKind.PEOPLES_COMMITTEE, is_receiving_desk=True)
        version = ProcedureVersionFactory(implementing_agency=department)
        assert receiving_agencies_for(version)[0] == centre

    def test_boundary_free_intake_accepts_any_desk_of_the_province(self, settings):
        province = UnitFactory(province=True)
        commune_a = UnitFactory(parent=province)
        commune_b = UnitFactory(parent=province)
        other_province = UnitFactory(province=True, code="P-OTHER")
        home = AgencyFactory(unit=commune_a)
        neighbour = AgencyFactory(unit=commune_b)
        foreign = AgencyFactory(unit=UnitFactory(parent=other_province))
        version = ProcedureVersionFactory(implementing_agency=home)

        assert not may_receive(version, neighbour)
        settings.DOSSIER_BOUNDARY_FREE_INTAKE = True
        assert may_receive(version, neighbour)
        assert not may_receive(version, foreign)

    def test_online_filing_may_choose_a_receiving_desk(self, catalog, settings):
        settings.DOSSIER_BOUNDARY_FREE_INTAKE = True
        neighbour = AgencyFactory(unit=UnitFactory(parent=catalog.agency.unit.parent))
        # Same (missing) province: both units are roots without parents → not the same root.
        with pytest.raises(ValidationError):
            file_online(catalog, receiving_agency=neighbour.code)
        dossier = file_online(catalog, receiving_agency=catalog.agency.code)
        assert dossier.receiving_agency == catalog.agency


def test_an_online_filing_costs_the_statistics_nothing(catalog, django_capture_on_commit_callbacks):
    """Submitted (not yet received) counts nowhere: no lock, no query, no ledger row."""
    from dossiers.models_stats import StatsLedger

    with django_capture_on_commit_callbacks(execute=True):
        file_online(catalog)
    assert not StatsLedger.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        file_walk_in(catalog)  # received at once: counted
    assert StatsLedger.objects.count() == 1
