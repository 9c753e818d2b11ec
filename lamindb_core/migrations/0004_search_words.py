"""The word index of the core registries' name-like fields, for search's word-by-word stage.

SQLite: an FTS5 table ``<table>_fts_words`` (tokenizer ``unicode61``) kept in step by
triggers; PostgreSQL: a GIN index on the words of each field and the vocabulary table
``<table>_fts_words``, kept by triggers, filled here from the rows that exist. See
``lamindb_core/word_index.py``. No model state changes.
"""

from django.db import migrations

from lamindb_core.word_index import migration_operation

# registry: its name-like fields (the name field, and synonyms), where search corrects typos
WORD_INDEXES = {
    "ulabel": ["name"],
    "feature": ["name", "synonyms"],
    "artifact": ["key"],
    "collection": ["key"],
    "transform": ["key"],
    "run": ["name"],
    "user": ["name"],
    "storage": ["root"],
    "space": ["name"],
    "featureset": ["name"],
}


class Migration(migrations.Migration):
    dependencies = [("core", "0003_artifact_one_latest_version")]

    operations = [migration_operation("core", model, fields) for model, fields in WORD_INDEXES.items()]
