"""Django app of the core registries (app label ``core``)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_save


class CoreConfig(AppConfig):
    """The core registries: ``Artifact``, ``ULabel``, ``Feature`` and the rest."""

    name = "lamindb_core"
    label = "core"
    verbose_name = "core"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        """Connect the handlers: the rows every instance starts with, and the check
        that a record is not saved into a module's table that the instance lacks."""
        # Django's place for code that needs the models: they are loaded only now
        from .models.seeds import seed_core
        from .query import refuse_save_without_table

        post_migrate.connect(seed_core, sender=self, dispatch_uid="lamindb_core.seed_core")
        pre_save.connect(refuse_save_without_table, dispatch_uid="lamindb_core.refuse_save_without_table")
