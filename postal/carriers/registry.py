"""Which carrier adapter the portal talks to: ``POSTAL_CARRIERS`` maps names to classes,
``POSTAL_CARRIER`` chooses one (default ``sandbox``)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from postal.carriers.base import Carrier

DEFAULT_CARRIERS = {"sandbox": "postal.carriers.sandbox.SandboxCarrier"}


def _registry() -> dict[str, str]:
    return dict(getattr(settings, "POSTAL_CARRIERS", None) or DEFAULT_CARRIERS)


def carrier_names() -> list[str]:
    return sorted(_registry())


def get_carrier(name: str | None = None) -> Carrier:
    """The adapter registered under ``name`` (default: the ``POSTAL_CARRIER`` setting)."""
    name = name or getattr(settings, "POSTAL_CARRIER", "sandbox")
    path = _registry().get(name)
    if not path:
        raise ImproperlyConfigured(
            f"Postal carrier {name!r} is not in POSTAL_CARRIERS ({', '.join(carrier_names())})."
        )
    carrier = import_string(path)()
    carrier.name = name
    return carrier
