"""Django app of the core registries (app label ``core``)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """The core registries: ``Artifact``, ``ULabel``, ``Feature`` and the rest."""

    name = "lamindb_core"
    label = "core"
    verbose_name = "core"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        """Connect the handler that adds the rows every instance starts with."""
        # Django's place for code that needs the models: they are loaded only now
        from .models.seeds import seed_core

        post_migrate.connect(seed_core, sender=self, dispatch_uid="lamindb_core.seed_core")
