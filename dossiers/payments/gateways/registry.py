"""Which gateway adapter the portal talks to: ``PAYMENT_GATEWAYS`` maps names to classes,
``PAYMENT_GATEWAY`` chooses the one new payments go through (default ``sandbox``). Payments
already started keep the gateway they were started with (its name is stored on them), so an
operator can switch gateways without stranding open transactions."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from dossiers.payments.gateways.base import PaymentGateway

DEFAULT_GATEWAYS = {"sandbox": "dossiers.payments.gateways.sandbox.SandboxGateway"}


def _registry() -> dict[str, str]:
    configured = getattr(settings, "PAYMENT_GATEWAYS", None)
    return dict(DEFAULT_GATEWAYS if configured is None else configured)


def gateway_names() -> list[str]:
    return sorted(_registry())


def is_registered(name: str) -> bool:
    return name in _registry()


def default_gateway_name() -> str:
    return getattr(settings, "PAYMENT_GATEWAY", "sandbox") or "sandbox"


def get_gateway(name: str | None = None) -> PaymentGateway:
    """The adapter registered under ``name`` (default: the ``PAYMENT_GATEWAY`` setting)."""
    name = name or default_gateway_name()
    path = _registry().get(name)
    if not path:
        raise ImproperlyConfigured(
            f"Payment gateway {name!r} is not in PAYMENT_GATEWAYS ({', '.join(gateway_names())})."
        )
    gateway = import_string(path)()
    gateway.name = name
    return gateway


def gateway_label(name: str) -> str:
    """The gateway's name for people; its key when it is no longer configured."""
    try:
        return str(get_gateway(name).label)
    except (ImproperlyConfigured, ImportError):
        return name
