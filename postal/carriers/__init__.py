"""Carrier adapters (architecture.md rule 6): the interface in ``base``, the registry chosen by
settings in ``registry``, and a sandbox carrier that really works in ``sandbox``."""

from postal.carriers.base import (
    Carrier,
    CarrierError,
    CarrierRejected,
    CreatedShipment,
    ShipmentRequest,
    StatusReport,
    UnknownWaybill,
)
from postal.carriers.registry import carrier_names, get_carrier

__all__ = [
    "Carrier",
    "CarrierError",
    "CarrierRejected",
    "CreatedShipment",
    "ShipmentRequest",
    "StatusReport",
    "UnknownWaybill",
    "carrier_names",
    "get_carrier",
]
