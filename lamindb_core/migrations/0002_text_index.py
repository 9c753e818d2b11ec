"""The text index of the core registries, for ``search``, ``inspect`` and ``from_values``.

SQLite: an FTS5 trigram table per registry kept in step by triggers; PostgreSQL:
``pg_trgm`` GIN indexes. Both get ``lower()`` indexes on the name-like fields.
See ``lamindb_core/text_index.py``. No model state changes.
"""

from django.db import migrations

from lamindb_core.text_index import migration_operation

# registry: (text fields, name-like fields)
TEXT_INDEXES = {
    "ulabel": (["name", "description", "reference"], ["name"]),
    "feature": (["name", "synonyms", "description", "type"], ["name"]),
    "artifact": (["key", "description"], ["key"]),
    "collection": (["key", "description"], ["key"]),
    "transform": (["key", "description"], ["key"]),
    "run": (["name"], ["name"]),
    "user": (["handle", "name"], ["handle"]),
    "storage": (["root", "description"], ["root"]),
    "space": (["name", "description"], ["name"]),
    "featureset": (["name"], ["name"]),
}


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migration_operation("core", model, fields, key_fields=keys)
        for model, (fields, keys) in TEXT_INDEXES.items()
    ]
