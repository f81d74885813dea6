"""Filing a dossier: online by a citizen (status 1) or at the desk on a citizen's behalf
(walk-in: received at once, status 2). One service for pages and API.

Where a dossier may be filed (``receiving_agencies_for``): the version's receiving agencies;
when the catalog names none, the implementing agency's one-stop desk (the agency itself when it
is a desk, otherwise the desks of its administrative unit — e.g. the provincial service centre
for a department —, otherwise its nearest parent that is a desk). Boundary-free intake
(Nghị định 118/2025): when the version says so (``boundary_free_intake``, if the catalog has the
field) or the setting ``DOSSIER_BOUNDARY_FREE_INTAKE`` is on, any active receiving desk in the
same province is accepted as well.

Cost (issue 4, 32 concurrent filers): the content checks and the storage writes happen before
the transaction opens (``attachments.stage_all``; a failed transaction deletes the files); the
transaction is the code counter's increment, the dossier, its attachments in one INSERT, the
history row and the procedure's filing count, then the commit — so the daily counter's row lock
(which keeps codes gapless and unique) is held for a few statements. The 201 answer is built
from the objects just written, without reading them back. The published version comes from
``procedures.cache.filing_version`` (a per-process copy checked against the catalog generation:
no query while the catalog is unchanged).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers import deadlines
from dossiers.attachments import (
    AttachmentWriter,
    check_documents,
    check_total,
    create_rows,
    stage_all,
)
from dossiers.codes import allocate_code
from dossiers.errors import DossierError, NotAllowed, ValidationError
from dossiers.events import record_event
from dossiers.inputs import Cleaner
from dossiers.models import (
    AttachmentKind,
    Dossier,
    EventAction,
    FilingChannel,
    ResultDelivery,
    Status,
)
from portal import generations
from portal.db.rows import insert_new
from portal.models import Agency, AgencyKind, Role, citizen_id_validator, phone_validator
from portal.permissions import grants_for
from portal.worktime import GENERATION_KEY as CALENDAR_GENERATION_KEY
from procedures.cache import GENERATION_KEY as CATALOG_GENERATION_KEY
from procedures.cache import filing_version
from procedures.models import Procedure, ProcedureVersion


def receiving_agencies_for(version: ProcedureVersion) -> list[Agency]:
    """The desks where ``version`` is received by default (see the module docstring)."""
    known = version.__dict__.get("_receiving_desks")
    if known is not None:  # a cached copy (``_load_version``): computed under its generation
        return list(known)
    explicit = [a for a in version.receiving_agencies.all() if a.is_active]
    if explicit:
        return explicit
    implementing = version.implementing_agency
    if implementing.is_receiving_desk and implementing.is_active:
        return [implementing]
    desks = list(
        Agency.objects.filter(
            unit_id=implementing.unit_id, is_receiving_desk=True, is_active=True
        ).order_by("code")
    )
    if desks:
        desks.sort(key=lambda a: a.kind != AgencyKind.ONE_STOP_CENTRE)
        return desks
    parent, hops = implementing.parent, 0
    while parent is not None and hops < 10:
        if parent.is_receiving_desk and parent.is_active:
            return [parent]
        parent, hops = parent.parent, hops + 1
    return []


def boundary_free(version: ProcedureVersion) -> bool:
    return bool(
        getattr(version, "boundary_free_intake", False)
        or getattr(settings, "DOSSIER_BOUNDARY_FREE_INTAKE", False)
    )


def may_receive(version: ProcedureVersion, agency: Agency) -> bool:
    """Whether ``agency`` may receive dossiers of ``version``."""
    if not agency.is_active:
        return False
    if any(a.pk == agency.pk for a in receiving_agencies_for(version)):
        return True
    if boundary_free(version) and agency.is_receiving_desk:
        home = version.implementing_agency.unit.province()
        return agency.unit.province().pk == home.pk
    return False


def default_channel_for(actor) -> str:
    """Desk staff file walk-in dossiers (direct); everybody else files online."""
    return (
        FilingChannel.DIRECT if grants_for(actor).has_any_role(Role.DESK) else FilingChannel.ONLINE
    )


def _submission_key(actor, key: str | None) -> str | None:
    """Client tokens are namespaced per user and hashed (no cross-user collision or leak)."""
    if not key:
        return None
    raw = f"{getattr(actor, 'pk', None)}:{key}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


#: What the citizen's profile fills in when the form leaves it empty.
PROFILE_FIELDS = ("applicant_phone", "applicant_id_number", "applicant_address")


def _profile_defaults(user, data: Mapping | None = None) -> dict[str, str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    defaults = {"applicant_name": user.get_full_name(), "applicant_email": user.email or ""}
    data = data or {}
    if all(data.get(name) not in (None, "") for name in PROFILE_FIELDS):
        return defaults  # the form gave all three: no need to read the profile
    profile = getattr(user, "citizen_profile", None)
    if profile is not None:
        defaults.update(
            applicant_phone=profile.phone,
            applicant_id_number=profile.citizen_id,
            applicant_address=profile.address,
        )
    return defaults


def _load_version(procedure_code: str, channel: str) -> ProcedureVersion:
    code = (procedure_code or "").strip()
    version = filing_version(code) if code and "\x00" not in code else None
    if version is None:
        raise ValidationError({"procedure": [_("Thủ tục không tồn tại hoặc chưa được công bố.")]})
    if channel == FilingChannel.ONLINE and not version.accepts_online_filing:
        raise ValidationError(
            {"procedure": [_("Thủ tục này chưa cung cấp dịch vụ công trực tuyến mức độ 3, 4.")]}
        )
    if "_receiving_desks" not in version.__dict__:
        # Shared by the next filings of this process until the catalog generation changes
        # (agency changes bump it too: ``procedures.cache.connect_signals``).
        version._receiving_desks = tuple(receiving_agencies_for(version))
    return version


def _resolve_receiving(
    cleaner: Cleaner, version: ProcedureVersion, channel: str, actor
) -> Agency | None:
    code = cleaner.text("receiving_agency", max_length=30)
    if code:
        agency = Agency.objects.select_related("unit").filter(code=code).first()
        if agency is None or not may_receive(version, agency):
            cleaner.add(
                "receiving_agency", _("Cơ quan này không tiếp nhận hồ sơ của thủ tục đã chọn.")
            )
            return None
        return agency
    if channel != FilingChannel.ONLINE:
        desks = grants_for(actor).agencies_with(Role.DESK)
        for agency in Agency.objects.select_related("unit").filter(pk__in=desks).order_by("code"):
            if may_receive(version, agency):
                return agency
        cleaner.add("receiving_agency", _("Bộ phận một cửa của bạn không tiếp nhận thủ tục này."))
        return None
    agencies = receiving_agencies_for(version)
    if not agencies:
        cleaner.add("receiving_agency", _("Thủ tục chưa có nơi tiếp nhận hồ sơ."))
        return None
    return agencies[0]


def file_dossier(
    *,
    procedure_code: str,
    applicant_user,
    data: Mapping,
    files: Mapping | None,
    channel: str,
    actor,
    submission_key: str | None = None,
) -> Dossier:
    """File a dossier. Online (citizen): status 1, the intake deadline set. Direct or postal
    (desk staff of the receiving agency): received at once, status 2, appointment set.
    The same ``submission_key`` from the same actor returns the dossier filed the first time."""
    if channel not in FilingChannel.values:
        raise ValidationError({"channel": [_("Hình thức nộp không hợp lệ.")]})
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_("Vui lòng đăng nhập để nộp hồ sơ."))
    key = _submission_key(actor, submission_key)
    try:
        # The catalog's and the calendar's generations, which the filing checks its copies of
        # the published version and the working calendar against, in one round trip.
        with generations.read_together([CATALOG_GENERATION_KEY, CALENDAR_GENERATION_KEY]):
            return _file(
                procedure_code=procedure_code,
                applicant_user=applicant_user,
                data=data,
                files=files,
                channel=channel,
                actor=actor,
                key=key,
            )
    except (DossierError, ValidationError, IntegrityError):
        # A repeated key (a double click, a retry after a lost answer) returns the dossier filed
        # the first time, whatever this copy says. Looked up only when the filing fails: a
        # repeat that passes the checks fails on the unique ``submission_key`` at its INSERT
        # (its counter number, rows and files rolled back), so a first filing reads nothing.
        if key:
            existing = Dossier.objects.filter(submission_key=key).first()
            if existing is not None:
                return existing
        raise


def _file(
    *,
    procedure_code: str,
    applicant_user,
    data: Mapping,
    files: Mapping | None,
    channel: str,
    actor,
    key: str | None,
) -> Dossier:
    walk_in = channel != FilingChannel.ONLINE
    if not walk_in and (applicant_user is None or applicant_user.pk != actor.pk):
        raise NotAllowed(_("Chỉ công dân đứng tên mới nộp được hồ sơ trực tuyến của mình."))
    if walk_in and not grants_for(actor).has_any_role(Role.DESK):
        raise NotAllowed(_("Chỉ cán bộ một cửa mới tiếp nhận hồ sơ trực tiếp."))

    version = _load_version(procedure_code, channel)
    merged = {**_profile_defaults(applicant_user, data)}
    merged.update({k: v for k, v in (data or {}).items() if v not in (None, "")})
    cleaner = Cleaner(merged)
    name = cleaner.text("applicant_name", required=True, max_length=200)
    phone = cleaner.text("applicant_phone", required=True, max_length=15).replace(" ", "")
    id_number = cleaner.text("applicant_id_number", required=True, max_length=12)
    address = cleaner.text("applicant_address", required=True, max_length=500)
    email = cleaner.text("applicant_email", max_length=254)
    summary = cleaner.text("summary", max_length=4000)
    delivery = cleaner.text("result_delivery", default=ResultDelivery.DESK) or ResultDelivery.DESK
    delivery_address = cleaner.text("delivery_address", max_length=500)
    pickup = cleaner.boolean("pickup_by_post")
    cleaner.validate("applicant_phone", phone, phone_validator)
    cleaner.validate("applicant_id_number", id_number, citizen_id_validator)
    cleaner.email("applicant_email", email)
    if delivery not in ResultDelivery.values:
        cleaner.add("result_delivery", _("Chọn “desk” (tại bộ phận một cửa) hoặc “post”."))
    if (delivery == ResultDelivery.POST or pickup) and not version.postal_eligible:
        field = "result_delivery" if delivery == ResultDelivery.POST else "pickup_by_post"
        cleaner.add(field, _("Thủ tục này không tiếp nhận, trả kết quả qua bưu chính."))
    if delivery == ResultDelivery.POST and not delivery_address:
        cleaner.add("delivery_address", _("Cần địa chỉ nhận kết quả qua bưu chính."))
    receiving = _resolve_receiving(cleaner, version, channel, actor)
    if (
        walk_in
        and receiving is not None
        and not grants_for(actor).has_role(receiving.pk, Role.DESK)
    ):
        raise NotAllowed(_("Bạn không phải cán bộ một cửa của nơi tiếp nhận này."))
    try:
        checked = check_documents(version, files)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                cleaner.add(field, message)
        checked = []
    cleaner.raise_if_errors()
    check_total(checked)

    catalog_channel = deadlines.channel_for(version, channel)
    now = timezone.now()
    with AttachmentWriter() as writer:
        # Storage I/O first, outside the transaction: the daily code counter's row lock is
        # then held only for the few INSERTs below and the commit.
        staged = stage_all(writer, checked)
        with transaction.atomic():
            return _create(
                version=version,
                channel=channel,
                walk_in=walk_in,
                now=now,
                receiving=receiving,
                applicant_user=applicant_user,
                actor=actor,
                key=key,
                fields={
                    "applicant_name": name,
                    "applicant_phone": phone,
                    "applicant_id_number": id_number,
                    "applicant_address": address,
                    "applicant_email": email,
                    "summary": summary,
                    "result_delivery": delivery,
                    "pickup_by_post": pickup,
                    "delivery_address": delivery_address,
                    "fee_vnd": catalog_channel.fee_vnd if catalog_channel else 0,
                },
                staged=staged,
            )


def _create(
    *,
    version: ProcedureVersion,
    channel: str,
    walk_in: bool,
    now,
    receiving: Agency,
    applicant_user,
    actor,
    key: str | None,
    fields: dict,
    staged: list,
) -> Dossier:
    """The rows of one filing (in the caller's transaction): the dossier with its code from the
    locked daily counter, its attachments in one INSERT, the history row and the procedure's
    filing count. The returned dossier carries its relations and attachments, so the caller can
    render it without a query.

    Every filing at one desk queues on the counter's row lock from the moment it takes its
    number until it commits, so that window is kept to two round trips: the counter, then the
    dossier's INSERT with the filing count (one statement), and the commit. On PostgreSQL the
    dossier's id comes first (``_reserve_dossier_id``) and its attachments and (online)
    its history row are written *before* the number is taken: their foreign keys to the dossier
    are checked at commit (Django declares them ``DEFERRABLE INITIALLY DEFERRED``). A walk-in's
    ``receive`` row comes after the dossier: its notifications quote the code and routing plans
    the hand-over from the dossier row (``models_routing._on_event_saved``)."""
    dossier = Dossier(
        procedure=version.procedure,
        procedure_version=version,
        channel=channel,
        applicant=applicant_user if getattr(applicant_user, "pk", None) else None,
        receiving_agency=receiving,
        current_agency=receiving,
        returning_agency=receiving,
        status=Status.RECEIVED if walk_in else Status.SUBMITTED,
        submitted_at=now,
        submission_key=key,
        created_by=actor,
        **fields,
    )
    if walk_in:
        deadlines.start_clock(dossier, now)
    else:
        dossier.intake_due_at = deadlines.intake_deadline(now)
    dossier.pk = _reserve_dossier_id()
    early = dossier.pk is not None
    attachments = (
        create_rows(dossier, staged, kind=AttachmentKind.FILING, user=actor) if early else []
    )

    def history() -> None:
        record_event(
            dossier,
            action=EventAction.RECEIVE if walk_in else EventAction.SUBMIT,
            actor=actor,
            at=now,
            from_status=None,
            from_agency_id=None,
            payload={"channel": channel},
            attachment_ids=[a.pk for a in attachments],
        )

    if early and not walk_in:
        history()
    dossier.code = allocate_code(receiving, now)  # the counter's row is locked from here …
    # … and the procedure's row from the same statement as the dossier's (its filing count), to
    # the commit. ``save(force_insert=True)``'s row and signals, less of its CPU.
    insert_new([dossier], signals=True, along_with=_filing_count_update(version.procedure_id))
    if not early:
        attachments = create_rows(dossier, staged, kind=AttachmentKind.FILING, user=actor)
    if walk_in or not early:
        history()
    # What prefetch_related("attachments") would leave (further filters still query).
    prefetched = dossier.attachments.all()
    prefetched._result_cache = attachments
    prefetched._prefetch_done = True
    dossier._prefetched_objects_cache = {"attachments": prefetched}
    dossier.filed_now = True
    return dossier


def _reserve_dossier_id() -> int | None:
    """The next dossier id (PostgreSQL; None elsewhere: insert first). Ids are taken from the
    sequence ``DOSSIER_ID_BLOCK`` at a time per process (one round trip per block, not per
    filing): ids are unique, not in filing order across processes — nothing orders dossiers by
    id but as a tie-break after ``submitted_at``."""
    if connection.vendor != "postgresql":
        return None
    return _ID_BLOCK.take()


class _IdBlock:
    """Dossier ids reserved from the sequence and not used yet, for this process only."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.pid = os.getpid()
        self.ids: list[int] = []

    def take(self) -> int:
        with self.lock:
            if self.pid != os.getpid():  # a forked child must not reuse its parent's ids
                self.pid, self.ids = os.getpid(), []
            if not self.ids:
                self.ids = self._reserve(max(1, getattr(settings, "DOSSIER_ID_BLOCK", 20)))
            return self.ids.pop()

    @staticmethod
    def _reserve(count: int) -> list[int]:
        table, column = Dossier._meta.db_table, Dossier._meta.pk.column
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return sorted((row[0] for row in cursor.fetchall()), reverse=True)


_ID_BLOCK = _IdBlock()


def _filing_count_update(procedure_id: int) -> tuple[str, list] | None:
    """The statement that bumps ``Procedure.filing_count`` (the catalog's "most used" figure),
    when the field exists. Sent with the dossier's INSERT: every filing of a popular procedure
    touches this row, so its lock is held from there to the commit only."""
    if not any(f.name == "filing_count" for f in Procedure._meta.concrete_fields):
        return None
    table, pk = Procedure._meta.db_table, Procedure._meta.pk.column
    return (
        f"UPDATE {table} SET filing_count = filing_count + 1 WHERE {pk} = %s",  # noqa: S608
        [procedure_id],
    )
