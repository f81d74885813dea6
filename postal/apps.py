from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PostalConfig(AppConfig):
    name = "postal"
    verbose_name = _("Bưu chính công ích")

    def ready(self) -> None:
        from dossiers.events import dossier_transitioned
        from postal.listeners import on_dossier_transitioned

        dossier_transitioned.connect(
            on_dossier_transitioned, dispatch_uid="postal.on_dossier_transitioned"
        )
