"""Small display filters of the catalog pages (money, processing times, legal dates)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django import template
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext as _

from procedures.models import TimeUnit

register = template.Library()


@register.filter
def grouped(value) -> str:
    """``1162`` → ``1.162`` (Vietnamese grouping; Django's vi format does not group)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return ""
    return f"{number:,}".replace(",", get_format("THOUSAND_SEPARATOR") or ".")


@register.filter
def vnd(amount) -> str:
    """``50000`` → ``50.000 đồng``; 0 → ``Không thu phí``."""
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return ""
    if value == 0:
        return _("Không thu phí")
    return _("%(amount)s đồng") % {"amount": grouped(value)}


@register.filter
def fee(amount) -> str:
    """A fee to pay: ``50.000 đồng``; ``Miễn phí`` when zero or not set."""
    try:
        value = int(amount)
    except (TypeError, ValueError):
        value = 0
    if value <= 0:
        return _("Miễn phí")
    return vnd(value)


@register.filter
def duration(channel) -> str:
    """A channel's processing time: ``15 ngày làm việc``, ``0,5 ngày làm việc``."""
    amount = Decimal(channel.processing_time)
    text = f"{amount.normalize():f}" if amount != amount.to_integral() else str(int(amount))
    text = number_format(Decimal(text)) if "." in text else text
    return f"{text} {TimeUnit(channel.time_unit).label}"


@register.filter
def legal_date(value: str) -> str:
    """An ISO date of the legal basis as ``dd/mm/yyyy`` (anything else unchanged)."""
    try:
        return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
    except (TypeError, ValueError):
        return value or ""
