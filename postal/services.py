"""Shipments: deciding one (the outbox row), booking it with the carrier, cancelling it.

``request_shipment`` writes a ``Shipment`` in ``pending_creation`` — the outbox row — in the
caller's transaction and enqueues ``postal.tasks.create_shipment`` on commit; the task calls
``send_to_carrier``, which books the parcel (idempotent at the carrier on the shipment's
``reference``) and records the waybill. A lost message or a carrier outage is picked up by the
``postal.tasks.sweep_outbox`` beat task (``due_for_creation``), with backoff and an attempt cap
after which the desk is alerted.
"""

from __future__ import annotations

import datetime
import logging
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dossiers.errors import InvalidState, NotAllowed, NotFound, ValidationError
from dossiers.models import Dossier, FilingChannel, ResultDelivery, Status
from portal.models import AdministrativeUnit, Agency, Role, UnitLevel
from portal.permissions import grants_for
from postal import addresses, tariff
from postal.alerts import error_text, raise_alert
from postal.carriers import CarrierError, CarrierRejected, get_carrier
from postal.carriers.base import Party, ShipmentRequest
from postal.models import (
    AgencyPostalAddress,
    AlertKind,
    Direction,
    EventSource,
    Shipment,
    ShipmentEvent,
    ShipmentStatus,
)

logger = logging.getLogger(__name__)

#: Dossier statuses in which each direction may be requested.
PICKUP_STATUSES = frozenset({Status.SUBMITTED, Status.RECEIVED, Status.SUPPLEMENT_REQUESTED})
DELIVERY_STATUSES = frozenset({Status.RESULT_READY})
CANCELLABLE = frozenset(
    {ShipmentStatus.PENDING_CREATION, ShipmentStatus.CREATED, ShipmentStatus.ACCEPTED}
)


def max_attempts() -> int:
    return int(getattr(settings, "POSTAL_CREATE_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4 … minutes, capped at one hour."""
    return datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    street: str
    commune: AdministrativeUnit


def agency_address(agency: Agency) -> Address:
    """Where the post meets ``agency``: its declared postal address, else its own address when
    it names a commune, else its unit when that is a commune."""
    declared = (
        AgencyPostalAddress.objects.select_related("commune__parent__parent")
        .filter(agency=agency)
        .first()
    )
    if declared is not None:
        return Address(
            agency.name, declared.phone or agency.phone, declared.street, declared.commune
        )
    commune = addresses.resolve_commune(agency.address) if agency.address else None
    if commune is None and agency.unit.level == UnitLevel.COMMUNE:
        commune = agency.unit
    if commune is None:
        raise ValidationError(
            {
                "agency": [
                    _(
                        "Cơ quan “%(agency)s” chưa khai báo địa chỉ bưu chính (quản trị: Địa chỉ "
                        "bưu chính của cơ quan)."
                    )
                    % {"agency": agency.name}
                ]
            }
        )
    return Address(agency.name, agency.phone, agency.address or agency.name, commune)


def citizen_address(
    dossier: Dossier, direction: str, commune_code: str | None, street: str | None
) -> Address:
    """The citizen's side: an explicit commune code (checked against the unit list), or the
    commune recognised in the address given at filing, or the account's commune (for the
    applicant's own address)."""
    street = unicodedata.normalize("NFC", street or "").strip()
    if not street:
        street = (
            dossier.delivery_address
            if direction == Direction.DELIVERY and dossier.delivery_address
            else dossier.applicant_address
        )
    if commune_code:
        commune = addresses.commune_by_code(commune_code)
    else:
        commune = addresses.resolve_commune(street)
        # The account's commune describes the applicant's own address, not another one.
        own = street == dossier.applicant_address and dossier.applicant_id is not None
        profile = getattr(dossier.applicant, "citizen_profile", None) if own else None
        if commune is None and profile is not None and profile.unit_id:
            unit = profile.unit
            commune = unit if unit.level == UnitLevel.COMMUNE else None
        if commune is None:
            raise ValidationError(
                {
                    "commune": [
                        _(
                            "Không xác định được xã/phường/thị trấn trong địa chỉ “%(address)s” "
                            "theo danh mục đơn vị hành chính; hãy chọn mã xã/phường."
                        )
                        % {"address": street[:200]}
                    ]
                }
            )
    return Address(dossier.applicant_name, dossier.applicant_phone, street, commune)


def _check_eligible(dossier: Dossier, direction: str) -> None:
    if direction not in Direction.values:
        raise ValidationError({"direction": [_("Chọn “pickup” (thu gom) hoặc “delivery”.")]})
    if not dossier.procedure_version.postal_eligible:
        raise ValidationError(
            {"direction": [_("Thủ tục này không tiếp nhận, trả kết quả qua bưu chính.")]}
        )
    allowed = PICKUP_STATUSES if direction == Direction.PICKUP else DELIVERY_STATUSES
    if dossier.status not in allowed:
        raise InvalidState(
            _("Hồ sơ đang ở trạng thái “%(status)s”, chưa thể tạo bưu gửi chiều này.")
            % {"status": dossier.status_label}
        )
    if direction == Direction.DELIVERY:
        from dossiers.result_signing import result_releasable

        if not result_releasable(dossier):
            raise InvalidState(
                _("Kết quả của thủ tục này phải được lãnh đạo ký số trước khi gửi qua bưu chính.")
            )


def handling_agency(dossier: Dossier, direction: str) -> Agency:
    return dossier.receiving_agency if direction == Direction.PICKUP else dossier.returning_agency


def live_shipment(dossier: Dossier, direction: str) -> Shipment | None:
    return (
        Shipment.objects.filter(dossier=dossier, direction=direction)
        .exclude(status=ShipmentStatus.CANCELLED)
        .first()
    )


@transaction.atomic
def request_shipment(
    dossier: Dossier,
    direction: str,
    *,
    commune_code: str | None = None,
    street: str | None = None,
    collect_fees: bool | None = None,
) -> Shipment:
    """Write the outbox row of a new shipment and book it with the carrier on commit.

    Raises ValidationError (not postal-eligible, address outside the unit list), InvalidState
    (the dossier's status does not allow it, or a live shipment of this direction exists)."""
    dossier = (
        Dossier.objects.select_for_update(of=("self",))
        .select_related("procedure_version", "receiving_agency__unit", "returning_agency__unit")
        .get(pk=dossier.pk)
    )
    _check_eligible(dossier, direction)
    if live_shipment(dossier, direction) is not None:
        raise InvalidState(_("Hồ sơ đã có bưu gửi chiều này."))
    agency = handling_agency(dossier, direction)
    citizen = citizen_address(dossier, direction, commune_code, street)
    office = agency_address(agency)
    sender, receiver = (citizen, office) if direction == Direction.PICKUP else (office, citizen)
    zone = tariff.zone_between(sender.commune, receiver.commune)
    postage = tariff.postage_for(zone)
    if collect_fees is None:
        collect_fees = (
            direction == Direction.PICKUP
            and not dossier.paid_online
            and bool(getattr(settings, "POSTAL_COLLECT_FEES_AT_PICKUP", True))
        )
    fees = dossier.fee_vnd if collect_fees else 0
    shipment = Shipment.objects.create(
        dossier=dossier,
        direction=direction,
        agency=agency,
        carrier=getattr(settings, "POSTAL_CARRIER", "sandbox"),
        order_number=dossier.code,
        sender_name=sender.name,
        sender_phone=sender.phone,
        sender_street=sender.street,
        sender_commune=sender.commune,
        receiver_name=receiver.name,
        receiver_phone=receiver.phone,
        receiver_street=receiver.street,
        receiver_commune=receiver.commune,
        tariff_zone=zone,
        postage_vnd=postage,
        fees_vnd=fees,
        collect_vnd=postage + fees,
    )
    enqueue_creation(shipment.pk)
    return shipment


def enqueue_creation(shipment_id: int) -> None:
    """Enqueue the carrier call once committed; a failed publish is left to the sweep."""
    from postal import tasks

    transaction.on_commit(lambda: tasks.create_shipment.delay(shipment_id), robust=True)


def request_shipment_as(
    user,
    dossier_code: str,
    direction: str,
    *,
    commune_code: str | None = None,
    street: str | None = None,
    collect_fees: bool | None = None,
) -> Shipment:
    """``request_shipment`` for a desk officer: the desk of the handling agency (or a
    superuser) may; others who can see the dossier get NotAllowed, the rest NotFound."""
    from dossiers.workflow import find_visible

    dossier = find_visible(dossier_code, user)
    if direction in Direction.values:
        agency = handling_agency(dossier, direction)
        grants = grants_for(user)
        if not (grants.is_superuser or grants.has_role(agency.pk, Role.DESK)):
            raise NotAllowed()
    return request_shipment(
        dossier, direction, commune_code=commune_code, street=street, collect_fees=collect_fees
    )


def _party(address_name: str, phone: str, street: str, commune: AdministrativeUnit) -> Party:
    return Party(
        name=address_name,
        phone=phone,
        street=street,
        commune_code=commune.code,
        commune_name=commune.name,
        province_name=commune.province().name,
    )


def build_request(shipment: Shipment) -> ShipmentRequest:
    return ShipmentRequest(
        reference=shipment.reference,
        order_number=shipment.order_number,
        direction=shipment.direction,
        sender=_party(
            shipment.sender_name,
            shipment.sender_phone,
            shipment.sender_street,
            shipment.sender_commune,
        ),
        receiver=_party(
            shipment.receiver_name,
            shipment.receiver_phone,
            shipment.receiver_street,
            shipment.receiver_commune,
        ),
        collect_vnd=shipment.collect_vnd,
    )


def send_to_carrier(shipment_id: int) -> str:
    """Book one pending shipment with its carrier; returns what happened (for logs/tests).

    Locks the row with SKIP LOCKED so the task and the sweep never call the carrier twice at
    once; returns early when the shipment is no longer pending."""
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("sender_commune__parent__parent", "receiver_commune__parent__parent")
            .filter(pk=shipment_id)
            .first()
        )
        if shipment is None:
            return "busy"
        if shipment.status != ShipmentStatus.PENDING_CREATION:
            return "done"
        now = timezone.now()
        try:
            created = get_carrier(shipment.carrier).create_shipment(build_request(shipment))
        except CarrierRejected as exc:
            _creation_failed(shipment, str(exc), now, final=True)
            return "rejected"
        except Exception as exc:  # any outside failure is retried by the sweep
            logger.warning(
                "postal carrier %s failed for shipment %s: %r", shipment.carrier, shipment.pk, exc
            )
            _creation_failed(shipment, str(exc) or exc.__class__.__name__, now, final=False)
            return "retry"
        shipment.waybill = created.waybill
        shipment.status = ShipmentStatus.CREATED
        shipment.handover_date = timezone.localdate(now)
        shipment.last_event_at = created.created_at
        shipment.attempts += 1
        shipment.next_attempt_at = None
        shipment.last_error = ""
        shipment.save()
        ShipmentEvent.objects.create(
            shipment=shipment,
            event_id=f"created:{shipment.reference}",
            status=ShipmentStatus.CREATED,
            occurred_at=created.created_at,
            note=_("Vận đơn %(waybill)s") % {"waybill": created.waybill},
            source=EventSource.SYSTEM,
        )
    return "created"


def _creation_failed(shipment: Shipment, error: str, now, *, final: bool) -> None:
    shipment.attempts += 1
    shipment.last_error = error[:2000]
    give_up = final or shipment.attempts >= max_attempts()
    shipment.next_attempt_at = None if give_up else now + backoff(shipment.attempts)
    shipment.save(update_fields=["attempts", "last_error", "next_attempt_at", "updated_at"])
    if give_up:
        raise_alert(
            shipment.dossier,
            AlertKind.CREATION_FAILED,
            _("Không tạo được vận đơn %(direction)s cho hồ sơ %(code)s: %(error)s")
            % {
                "direction": shipment.get_direction_display().lower(),
                "code": shipment.order_number,
                "error": error[:200],
            },
            agency_id=shipment.agency_id,
            shipment=shipment,
        )


def due_for_creation(now: datetime.datetime, limit: int = 500) -> list[int]:
    """Pending shipments whose retry time has come, or whose first enqueue seems lost."""
    from django.db.models import Q

    lost = now - datetime.timedelta(minutes=2)
    return list(
        Shipment.objects.filter(status=ShipmentStatus.PENDING_CREATION)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, attempts=0, created_at__lt=lost)
        )
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def cancel_shipment(shipment: Shipment, note: str = "") -> Shipment:
    """Withdraw a shipment the post has not collected yet (InvalidState otherwise)."""
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
        if shipment.status not in CANCELLABLE:
            raise InvalidState(
                _("Bưu gửi đang ở trạng thái “%(status)s”, không thể hủy.")
                % {"status": shipment.status_label}
            )
        if shipment.waybill:
            try:
                get_carrier(shipment.carrier).cancel(shipment.waybill)
            except CarrierRejected as exc:
                raise InvalidState(_("Bưu chính từ chối hủy: %(error)s") % {"error": exc}) from exc
            except CarrierError as exc:
                raise InvalidState(
                    _("Chưa liên lạc được với bưu chính, vui lòng thử lại: %(error)s")
                    % {"error": exc}
                ) from exc
        now = timezone.now()
        shipment.status = ShipmentStatus.CANCELLED
        shipment.next_attempt_at = None
        shipment.save(update_fields=["status", "next_attempt_at", "updated_at"])
        ShipmentEvent.objects.create(
            shipment=shipment,
            event_id=f"cancelled:{shipment.reference}",
            status=ShipmentStatus.CANCELLED,
            occurred_at=now,
            note=note[:500],
            source=EventSource.SYSTEM,
        )
    return shipment


def cancel_open_pickups(dossier: Dossier, note: str) -> None:
    """The dossier was refused or withdrawn: the post need not collect it any more."""
    for shipment in Shipment.objects.filter(
        dossier=dossier, direction=Direction.PICKUP, status__in=CANCELLABLE
    ):
        try:
            cancel_shipment(shipment, note)
        except InvalidState as exc:
            raise_alert(
                dossier,
                AlertKind.CREATION_FAILED,
                exc.message,
                shipment=shipment,
                agency_id=shipment.agency_id,
            )


def wants_pickup(dossier: Dossier) -> bool:
    """The post collects the papers of online dossiers whose applicant chose it (a walk-in or
    postal filing means the papers are already at the desk)."""
    return dossier.pickup_by_post and dossier.channel == FilingChannel.ONLINE


def wants_delivery(dossier: Dossier) -> bool:
    """Delivery by post, once the result may leave the agency: a procedure whose result must
    be signed waits for the leader's signature (the ``sign`` event, still at status 9)."""
    from dossiers.result_signing import result_releasable

    return dossier.result_delivery == ResultDelivery.POST and result_releasable(dossier)


def ensure_shipment(dossier: Dossier, direction: str) -> Shipment | None:
    """Create the shipment the dossier's postal choice calls for unless one was ever made
    (a cancelled one means the desk decided otherwise). Problems become desk alerts."""
    if Shipment.objects.filter(dossier=dossier, direction=direction).exists():
        return None
    try:
        with transaction.atomic():
            return request_shipment(dossier, direction)
    except (ValidationError, InvalidState) as exc:
        message = error_text(exc)
        logger.warning(
            "postal: no %s shipment for dossier %s: %s", direction, dossier.code, message
        )
        raise_alert(
            dossier,
            AlertKind.ADDRESS,
            message,
            agency_id=handling_agency(dossier, direction).pk,
        )
    except IntegrityError:  # created concurrently by the listener or the sweep
        return None
    return None


def find_dossier(dossier_id: int) -> Dossier:
    dossier = (
        Dossier.objects.select_related(
            "procedure_version", "receiving_agency__unit", "returning_agency__unit", "applicant"
        )
        .filter(pk=dossier_id)
        .first()
    )
    if dossier is None:
        raise NotFound()
    return dossier
