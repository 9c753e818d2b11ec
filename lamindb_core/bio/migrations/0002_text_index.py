"""The text index of the bio registries, for ``search``, ``inspect`` and ``from_values``.

As ``core/0002_text_index``: SQLite FTS5 trigram tables kept in step by triggers,
PostgreSQL ``pg_trgm`` GIN indexes, and ``lower()`` indexes on the name fields.
See ``lamindb_core/text_index.py``. No model state changes.
"""

from django.db import migrations

from lamindb_core.text_index import migration_operation

ONTOLOGY = (["name", "synonyms", "description", "ontology_id", "abbr"], ["name"])
# registry: (text fields, name-like fields)
TEXT_INDEXES = {
    "celltype": ONTOLOGY,
    "tissue": ONTOLOGY,
    "disease": ONTOLOGY,
    "cellline": ONTOLOGY,
    "experimentalfactor": ONTOLOGY,
    "phenotype": ONTOLOGY,
    "developmentalstage": ONTOLOGY,
    "ethnicity": ONTOLOGY,
    "organism": (["name", "synonyms", "scientific_name", "ontology_id"], ["name"]),
    "gene": (["symbol", "synonyms", "description", "ensembl_gene_id", "ncbi_gene_ids"], ["symbol"]),
    "source": (["entity", "name", "description"], ["name"]),
}


class Migration(migrations.Migration):
    dependencies = [("bio", "0001_initial"), ("core", "0002_text_index")]

    operations = [
        migration_operation("bio", model, fields, key_fields=keys)
        for model, (fields, keys) in TEXT_INDEXES.items()
    ]
