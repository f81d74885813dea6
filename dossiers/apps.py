from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "dossiers"
    verbose_name = _("Hồ sơ")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save

        from dossiers import list_cache
        from dossiers.models import Dossier
        from dossiers.queues import forget_directory
        from portal.models import StaffMembership
        from procedures.models import Procedure, ProcedureVersion, Sector

        # Rendered lists (desk queue, "my dossiers"): see dossiers/list_cache.py.
        for signal in (post_save, post_delete):
            signal.connect(
                list_cache.on_dossier_saved, sender=Dossier, dispatch_uid="dossiers.list_cache"
            )
            for model in (Procedure, ProcedureVersion, get_user_model()):
                signal.connect(
                    list_cache.on_name_source_saved,
                    sender=model,
                    dispatch_uid=f"dossiers.list_cache.{model.__name__}",
                )
        # The desk filter's options (sectors, specialists' names) come from these tables.
        for model in (Sector, StaffMembership, get_user_model()):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_directory, sender=model, dispatch_uid=f"dossiers.queues.{model.__name__}"
                )
