"""The security suite's world: one small province with every kind of actor, and dossiers whose
applicant data are unique markers, so a leak of one into a page, an export or an API answer
is found by a plain substring search.

``world`` is built ONCE per module inside an outer transaction (rolled back at the end of the
module); each test runs in its own savepoint on top of it, so tests may change anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from rest_framework.test import APIClient

from dossiers.documents.services import latest_document
from dossiers.filing import file_dossier
from dossiers.models import Attachment, Dossier, FilingChannel
from dossiers.views.common import attachment_token
from dossiers.workflow import transition
from portal.models import AgencyKind, Role, UnitLevel, User
from postal.alerts import raise_alert
from procedures.models import Sector
from tests.dossiers.factories import ProcedureVersionFactory, pdf
from tests.factories import AgencyFactory, CitizenFactory, UnitFactory, UserFactory, staff_user

#: Every actor of the permission matrix, in a stable order.
ACTORS = (
    "anonymous",
    "owner",
    "other_citizen",
    "desk",
    "specialist",
    "leader",
    "peer_desk",
    "peer_specialist",
    "peer_leader",
    "upper_desk",
    "upper_specialist",
    "upper_leader",
    "catalog_admin",
    "superuser",
)
#: Actors who may see the owner's dossier (held by agency A) — from interfaces.md, not the code.
SEES_DOSSIER = frozenset({"owner", "desk", "specialist", "leader", "superuser"})
#: Actors who may see the other citizen's dossier (held by agency B, same level as A).
SEES_HIDDEN = frozenset(
    {"other_citizen", "peer_desk", "peer_specialist", "peer_leader", "superuser"}
)
HOLDING_STAFF = frozenset({"desk", "specialist", "leader"})
STAFF = frozenset(
    {
        *HOLDING_STAFF,
        "peer_desk",
        "peer_specialist",
        "peer_leader",
        "upper_desk",
        "upper_specialist",
        "upper_leader",
        "catalog_admin",
    }
)
DESKS = frozenset({"desk", "peer_desk", "upper_desk"})
CITIZENS = frozenset({"owner", "other_citizen"})


@dataclass
class Marker:
    """Personal data of one dossier that must never reach someone who may not see it."""

    code: str
    name: str
    id_number: str
    phone: str

    def found_in(self, text: str, *, code: bool = True) -> list[str]:
        values = (self.code, self.name, self.id_number) if code else (self.name, self.id_number)
        return [value for value in values if value in text]


@dataclass
class World:
    users: dict[str, User | AnonymousUser]
    agency: object  # A: commune, holds ``dossier``
    peer_agency: object  # B: another commune, holds ``hidden``
    upper_agency: object  # L: the district above both
    version: object
    dossier: Dossier
    hidden: Dossier
    attachment: Attachment
    hidden_attachment: Attachment
    document: object
    alert: object
    media: Path
    markers: dict[str, Marker] = field(default_factory=dict)

    @property
    def procedure_code(self) -> str:
        return self.version.procedure.code

    def token(self, attachment: Attachment) -> str:
        return attachment_token(attachment)

    def client(self, actor: str, *, api: bool = False, csrf: bool = False):
        client = APIClient(enforce_csrf_checks=csrf) if api else Client(enforce_csrf_checks=csrf)
        user = self.users[actor]
        if getattr(user, "is_authenticated", False):
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    def invisible_markers(self, actor: str) -> list[Marker]:
        hidden = []
        if actor not in SEES_DOSSIER:
            hidden.append(self.markers["dossier"])
        if actor not in SEES_HIDDEN:
            hidden.append(self.markers["hidden"])
        return hidden


def applicant(name: str, id_number: str, phone: str, **extra) -> dict:
    return {
        "applicant_name": name,
        "applicant_phone": phone,
        "applicant_id_number": id_number,
        "applicant_address": "7 Hùng Vương, Đà Lạt",
        "applicant_email": "",
        "summary": "Đề nghị cấp bản sao",
        **extra,
    }


def _file_and_process(version, agency_staff, citizen, data) -> Dossier:
    dossier = file_dossier(
        procedure_code=version.procedure.code,
        applicant_user=citizen,
        data=data,
        files={"to-khai": [pdf("to-khai.pdf", extra=data["applicant_id_number"].encode())]},
        channel=FilingChannel.ONLINE,
        actor=citizen,
    )
    desk, specialist = agency_staff
    transition(dossier.code, "receive", desk)
    return transition(dossier.code, "assign", desk, assignee=specialist.username)


def build_world(media: Path) -> World:
    province = UnitFactory(code="SEC-P", level=UnitLevel.PROVINCE, name="Tỉnh Thử")
    district = UnitFactory(
        code="SEC-D", level=UnitLevel.DISTRICT, name="Huyện Thử", parent=province
    )
    commune_a = UnitFactory(code="SEC-C1", name="Xã Một", parent=district)
    commune_b = UnitFactory(code="SEC-C2", name="Xã Hai", parent=district)
    agency = AgencyFactory(code="SEC.A", unit=commune_a, name="UBND Xã Một")
    peer = AgencyFactory(code="SEC.B", unit=commune_b, name="UBND Xã Hai")
    upper = AgencyFactory(code="SEC.L", unit=district, name="UBND Huyện Thử")
    centre = AgencyFactory(
        code="SEC.HCC", unit=province, name="Trung tâm HCC", kind=AgencyKind.ONE_STOP_CENTRE
    )
    users: dict[str, User | AnonymousUser] = {"anonymous": AnonymousUser()}
    users["owner"] = CitizenFactory(username="sec.owner")
    users["other_citizen"] = CitizenFactory(username="sec.other")
    for prefix, where in (("", agency), ("peer_", peer), ("upper_", upper)):
        for role in (Role.DESK, Role.SPECIALIST, Role.LEADER):
            users[f"{prefix}{role}"] = staff_user(where, role, username=f"sec.{prefix}{role}")
    users["catalog_admin"] = staff_user(
        centre, Role.CATALOG_ADMIN, username="sec.catalog", is_staff=True
    )
    users["superuser"] = UserFactory(username="sec.root", is_staff=True, is_superuser=True)

    version = ProcedureVersionFactory(implementing_agency=agency)
    peer_version = ProcedureVersionFactory(implementing_agency=peer)
    dossier = _file_and_process(
        version,
        (users["desk"], users["specialist"]),
        users["owner"],
        applicant("Lê Thị Hồ Sơ Mật", "068111222333", "0911222333"),
    )
    hidden = _file_and_process(
        peer_version,
        (users["peer_desk"], users["peer_specialist"]),
        users["other_citizen"],
        applicant("Phạm Văn Người Khác", "068999888777", "0999888777"),
    )
    sector, _created = Sector.objects.get_or_create(code="SEC-S", defaults={"name": "Hộ tịch"})
    version.sectors.add(sector)
    form = version.documents.get(code="to-khai")
    form.form_template.save("to-khai.docx", ContentFile(b"Mau to khai"), save=True)
    document = latest_document(dossier.code, users["desk"], "receipt")  # Mẫu 01 PDF
    alert = raise_alert(dossier, "address", "Kiểm tra địa chỉ", agency_id=agency.pk)
    world = World(
        users=users,
        agency=agency,
        peer_agency=peer,
        upper_agency=upper,
        version=version,
        dossier=dossier,
        hidden=hidden,
        attachment=Attachment.objects.filter(dossier=dossier).first(),
        hidden_attachment=Attachment.objects.filter(dossier=hidden).first(),
        document=document,
        alert=alert,
        media=media,
    )
    for key, d in (("dossier", dossier), ("hidden", hidden)):
        world.markers[key] = Marker(
            d.code, d.applicant_name, d.applicant_id_number, d.applicant_phone
        )
    return world


def private_storage_at(settings, root: Path) -> None:
    settings.MEDIA_ROOT = root / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root / "private"), "base_url": None},
        },
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The module's world, rolled back after the module's last test."""
    from django.conf import settings as django_settings
    from django.test.utils import override_settings

    root = tmp_path_factory.mktemp("security-world")
    media = root / "media"
    storages = {
        **django_settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root / "private"), "base_url": None},
        },
    }
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(STORAGES=storages, MEDIA_ROOT=media, PASSWORD_HASHERS=hashers),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield build_world(root)
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def world_media(world, settings):
    """Point the private storage at the world's files for this test (after _isolated_media)."""
    private_storage_at(settings, world.media)
    return world


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
