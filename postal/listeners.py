"""Postal's reaction to dossier events (``dossiers.events.dossier_transitioned``, sent on
commit): dossiers never import postal, postal listens.

- an online dossier filed with pickup by post (submitted, or received) → a pickup shipment;
- result ready (status 9) with delivery by post → a delivery shipment, once the result may leave
  the agency (signed by the leader when the procedure requires it: the ``sign`` event);
- refused or withdrawn → open pickups are cancelled.

Each shipment is written as an outbox row in the listener's own transaction and booked by a
task on the ``postal`` queue; ``postal.tasks.sweep_outbox`` also repairs what a lost signal
missed (``missing_shipments``). Receivers must be idempotent: ``ensure_shipment`` is.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from dossiers.models import Dossier, EventAction, FilingChannel, ResultDelivery, Status
from dossiers.result_signing import releasable_q
from postal import services
from postal.models import Direction, Shipment


def on_dossier_transitioned(sender, *, dossier_id, action, from_status, to_status, **kwargs):
    # Hand-overs, forwards, assignments keep the status: nothing to do, and no query (routing
    # delivers thousands of hand-overs; each one used to read its dossier here). Signing keeps
    # status 9 but may release a result that waited for the leader's signature.
    keeps_status = from_status == to_status and action != EventAction.SIGN
    if keeps_status or to_status not in (
        Status.SUBMITTED,
        Status.RECEIVED,
        Status.RESULT_READY,
        Status.REFUSED,
        Status.WITHDRAWN,
    ):
        return
    if to_status in (Status.SUBMITTED, Status.RECEIVED) and not _pickup_wanted(dossier_id, kwargs):
        return  # no pickup wanted (most filings): no query, or one narrow one
    dossier = services.find_dossier(dossier_id)
    if to_status in (Status.SUBMITTED, Status.RECEIVED) and services.wants_pickup(dossier):
        services.ensure_shipment(dossier, Direction.PICKUP)
    elif to_status == Status.RESULT_READY and services.wants_delivery(dossier):
        services.ensure_shipment(dossier, Direction.DELIVERY)
    elif to_status in (Status.REFUSED, Status.WITHDRAWN):
        services.cancel_open_pickups(dossier, _("Hồ sơ không còn cần thu gom."))


def _pickup_wanted(dossier_id: int, facts: dict) -> bool:
    """An online filing with pickup by post: from the signal's facts (set at filing and never
    changed), or one narrow query when a sender did not give them."""
    if "pickup_by_post" in facts and "channel" in facts:
        return bool(facts["pickup_by_post"]) and facts["channel"] == FilingChannel.ONLINE
    return Dossier.objects.filter(
        pk=dossier_id, pickup_by_post=True, channel=FilingChannel.ONLINE
    ).exists()


def missing_shipments(limit: int = 200) -> list[tuple[int, str]]:
    """Dossiers whose postal choice calls for a shipment none was ever made for."""

    def never(direction: str):
        return ~Exists(Shipment.objects.filter(dossier=OuterRef("pk"), direction=direction))

    postal = Dossier.objects.filter(procedure_version__postal_eligible=True)
    pickups = postal.filter(
        never(Direction.PICKUP),
        status__in=[Status.SUBMITTED, Status.RECEIVED],
        pickup_by_post=True,
        channel=FilingChannel.ONLINE,
    ).values_list("pk", flat=True)[:limit]
    deliveries = postal.filter(
        releasable_q(),
        never(Direction.DELIVERY),
        status=Status.RESULT_READY,
        result_delivery=ResultDelivery.POST,
    ).values_list("pk", flat=True)[:limit]
    return [(pk, Direction.PICKUP) for pk in pickups] + [
        (pk, Direction.DELIVERY) for pk in deliveries
    ]


def repair_missing() -> int:
    made = 0
    for dossier_id, direction in missing_shipments():
        made += services.ensure_shipment(services.find_dossier(dossier_id), direction) is not None
    return made
