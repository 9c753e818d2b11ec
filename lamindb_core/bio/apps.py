"""Django app of the bio registries (app label ``bio``)."""

from django.apps import AppConfig

from ..value_sources import register_value_source


class BioConfig(AppConfig):
    """The bio registries: ``CellType``, ``Gene``, ``Organism``, ``Source`` and the rest."""

    name = "lamindb_core.bio"
    label = "bio"
    verbose_name = "bio"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        """Register the public source of each registry that has one, for ``ln.Curator``."""
        for model in self.get_models():
            save_from_public = getattr(model, "save_from_public", None)
            if save_from_public is not None:
                register_value_source(
                    model, save_missing=save_from_public, warnings=getattr(model, "_curation_warnings", None)
                )
