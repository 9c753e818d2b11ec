"""Django app of the core registries (app label ``core``)."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The core registries: ``Artifact``, ``ULabel``, ``Feature`` and the rest."""

    name = "lamindb_core"
    label = "core"
    verbose_name = "core"
    default_auto_field = "django.db.models.AutoField"
