"""The carrier interface: what the postal app needs from any postal operator.

Three calls, each with a timeout (``POSTAL_CARRIER_TIMEOUT`` seconds) on real networks:

- ``create_shipment(request)`` books a parcel and returns its waybill. It must be idempotent on
  ``request.reference``: booking the same reference again returns the same waybill (our outbox
  retries after a crash between the call and our commit).
- ``cancel(waybill)`` withdraws a parcel the post has not collected yet; ``CarrierRejected``
  when it is too late.
- ``fetch_status(waybill)`` the carrier's current status (reconciliation when webhooks are
  late); ``UnknownWaybill`` when the carrier does not know it.

Errors: ``CarrierError`` is transient (network, outage: retry later); ``CarrierRejected`` is
final for this request (bad address, too late to cancel); both carry a readable message.
``tests/postal/test_carrier_contract.py`` runs the same tests on every registered adapter.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class CarrierError(Exception):
    """The carrier could not be reached or failed; the same call may succeed later."""


class CarrierRejected(CarrierError):
    """The carrier refused the request; repeating it will not help."""


class UnknownWaybill(CarrierRejected):
    """The carrier has no parcel with this waybill."""


@dataclass(frozen=True)
class Party:
    name: str
    phone: str
    street: str
    commune_code: str
    commune_name: str
    province_name: str


@dataclass(frozen=True)
class ShipmentRequest:
    reference: str
    order_number: str
    direction: str
    sender: Party
    receiver: Party
    collect_vnd: int
    note: str = ""


@dataclass(frozen=True)
class CreatedShipment:
    waybill: str
    created_at: datetime.datetime


@dataclass(frozen=True)
class StatusReport:
    waybill: str
    status: str
    occurred_at: datetime.datetime
    note: str = ""


@runtime_checkable
class Carrier(Protocol):
    """A postal operator's API, seen from the portal."""

    name: str

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment: ...

    def cancel(self, waybill: str) -> None: ...

    def fetch_status(self, waybill: str) -> StatusReport: ...
