"""Django app for registries defined in user code (app label ``custom``)."""

from django.apps import AppConfig


class CustomConfig(AppConfig):
    """Registries subclassed from ``Record`` outside any installed module."""

    name = "lamindb_core.custom"
    label = "custom"
    verbose_name = "custom"
    default_auto_field = "django.db.models.AutoField"
