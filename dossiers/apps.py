from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Hồ sơ")

    def ready(self) -> None:
        from dossiers.events import dossier_transitioned
        from dossiers.queues import on_dossier_transitioned

        dossier_transitioned.connect(on_dossier_transitioned, dispatch_uid="dossiers.queues")
