"""The word index of the bio registries' name-like fields, for search's word-by-word stage.

As ``core/0004_search_words``: SQLite FTS5 ``unicode61`` tables kept in step by triggers,
PostgreSQL GIN indexes on the words of each field and a vocabulary table per registry, filled
here from the rows that exist. See ``lamindb_core/word_index.py``. No model state changes.
"""

from django.db import migrations

from lamindb_core.word_index import migration_operation

NAMED = ["name", "synonyms"]
# registry: its name-like fields (the name field, and synonyms), where search corrects typos
WORD_INDEXES = {
    "celltype": NAMED,
    "tissue": NAMED,
    "disease": NAMED,
    "cellline": NAMED,
    "experimentalfactor": NAMED,
    "phenotype": NAMED,
    "developmentalstage": NAMED,
    "ethnicity": NAMED,
    "organism": NAMED,
    "gene": ["symbol", "synonyms"],
    "source": ["name"],
}


class Migration(migrations.Migration):
    dependencies = [("bio", "0002_text_index")]

    operations = [migration_operation("bio", model, fields) for model, fields in WORD_INDEXES.items()]
