"""Django app of the bio registries (app label ``bio``)."""

from django.apps import AppConfig


class BioConfig(AppConfig):
    """The bio registries: ``CellType``, ``Gene``, ``Organism``, ``Source`` and the rest."""

    name = "lamindb_core.bio"
    label = "bio"
    verbose_name = "bio"
    default_auto_field = "django.db.models.AutoField"
