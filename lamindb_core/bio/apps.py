"""Django app of the bio registries (app label ``bio``)."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate

from ..value_sources import register_value_source


class BioConfig(AppConfig):
    """The bio registries: ``CellType``, ``Gene``, ``Organism``, ``Source`` and the rest."""

    name = "lamindb_core.bio"
    label = "bio"
    verbose_name = "bio"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        """Register the public source of each registry that has one, for ``ln.Curator``,
        and the ``Source`` rows that a new instance starts with."""
        # Django's place for code that needs the models: they are loaded only now
        from .models.source import seed_sources

        for model in self.get_models():
            save_from_public = getattr(model, "save_from_public", None)
            if save_from_public is not None:
                register_value_source(
                    model, save_missing=save_from_public, warnings=getattr(model, "_curation_warnings", None)
                )
        post_migrate.connect(seed_sources, sender=self, dispatch_uid="lamindb_core.bio.seed_sources")
