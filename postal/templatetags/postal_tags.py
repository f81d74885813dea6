"""``{% load postal_tags %}{% dossier_shipments dossier %}`` renders the postal partial for a
dossier the viewer may see (``public=True`` on the anonymous tracking page); ``|vnd`` writes
an amount the Vietnamese way (20.000)."""

from django import template

from postal.selectors import shipments_for_dossier

register = template.Library()


@register.inclusion_tag("postal/_dossier_shipments.html")
def dossier_shipments(dossier, public: bool = False) -> dict:
    return {"shipments": shipments_for_dossier(dossier), "postal_public": public}


@register.filter
def vnd(value) -> str:
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return ""
