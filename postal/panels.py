"""The postal panel on a dossier's pages (see dossiers/panels.py and settings.DOSSIER_PANELS)."""

from dossiers.panels import Panel
from postal.selectors import shipments_for_dossier


def shipments_panel(request, dossier, audience: str) -> Panel | None:
    shipments = shipments_for_dossier(dossier)
    if not shipments:
        return None
    return Panel(
        template="postal/_dossier_shipments.html",
        context={"shipments": shipments, "postal_public": audience == "public"},
        stylesheet="css/postal.css",
    )
