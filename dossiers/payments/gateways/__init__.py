"""Payment gateway adapters (architecture.md rule 6): the interface (``base``), the registry
chosen by settings (``registry``) and the sandbox gateway that really works in the demo."""

from dossiers.payments.gateways.base import (
    GatewayError,
    GatewayRejected,
    GatewayResult,
    MalformedMessage,
    PaymentGateway,
    PaymentOrder,
    SignatureInvalid,
    StartedPayment,
    UnknownPayment,
)
from dossiers.payments.gateways.registry import (
    default_gateway_name,
    gateway_label,
    gateway_names,
    get_gateway,
    is_registered,
)

__all__ = [
    "GatewayError",
    "GatewayRejected",
    "GatewayResult",
    "MalformedMessage",
    "PaymentGateway",
    "PaymentOrder",
    "SignatureInvalid",
    "StartedPayment",
    "UnknownPayment",
    "default_gateway_name",
    "gateway_label",
    "gateway_names",
    "get_gateway",
    "is_registered",
]
