"""The set-up cell of the guide "Query & search registries" (spec 004), offline, as written.

Only the import lines differ (``lamindb_core``, ``lamindb_core.bio``); the
``lamin init --modules bionty`` line is the session fixture's
``ln.setup.init(..., modules="bio")``.
"""

from __future__ import annotations

import pytest

GUIDE_SETUP = '''
import lamindb_core as ln
import lamindb_core.bio as bt
from lamindb_core.core import datasets
ln.track("pd7UR7Z8hoTq0000")
# Create non-curated datasets
ln.Artifact(datasets.file_jpg_paradisi05(), key="images/my_image.jpg").save()
ln.Artifact(datasets.file_fastq(), key="raw/my_fastq.fastq").save()
ln.Artifact.from_df(datasets.df_iris(), key="iris/iris_collection.parquet").save()
# Create a more complex case
# observation-level metadata
ln.Feature(name="cell_medium", dtype="cat[ULabel]").save()
ln.Feature(name="sample_note", dtype="str").save()
ln.Feature(name="cell_type_by_expert", dtype="cat[bionty.CellType]").save()
ln.Feature(name="cell_type_by_model", dtype="cat[bionty.CellType]").save()
# dataset-level metadata
ln.Feature(name="temperature", dtype="float").save()
ln.Feature(name="study", dtype="cat[ULabel]").save()
ln.Feature(name="date_of_study", dtype="date").save()
ln.Feature(name="study_note", dtype="str").save()
## Permissible values for categoricals
ln.ULabel.from_values(["DMSO", "IFNG"], create=True).save()
ln.ULabel.from_values(
["Candidate marker study 1", "Candidate marker study 2"], create=True
).save()
bt.CellType.from_values(["B cell", "T cell"], create=True).save()
# Ingest dataset1
adata = datasets.small_dataset1(format="anndata")
curator = ln.Curator.from_anndata(
adata,
var_index=bt.Gene.symbol,
categoricals={
"cell_medium": ln.ULabel.name,
"cell_type_by_expert": bt.CellType.name,
"cell_type_by_model": bt.CellType.name,
},
organism="human",
)
artifact = curator.save_artifact(key="example_datasets/dataset1.h5ad")
artifact.features.add_values(adata.uns)
# Ingest dataset2
adata2 = datasets.small_dataset2(format="anndata")
curator = ln.Curator.from_anndata(
adata2,
var_index=bt.Gene.symbol,
categoricals={
"cell_medium": ln.ULabel.name,
"cell_type_by_model": bt.CellType.name,
},
organism="human",
)
artifact2 = curator.save_artifact(key="example_datasets/dataset2.h5ad")
artifact2.features.add_values(adata2.uns)
'''

def test_guide_setup_runs_offline_and_shows_the_feature_columns(instance, tmp_path, monkeypatch, capsys):
    pytest.importorskip("anndata")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(GUIDE_SETUP, "guide-setup", "exec"), namespace)
    out = capsys.readouterr().out
    # the curators' messages, as the spec's output shows them
    spec = """\
! indexing datasets with gene symbols can be problematic: https://docs.lamin.ai/faq/symbol-mapping
• saving validated records of 'var_index'
✓ added 3 records from public with Gene.symbol for "var_index": 'CD8A', 'CD4', 'CD14'
✓ "var_index" is validated against Gene.symbol
✓ "cell_medium" is validated against ULabel.name
✓ "cell_type_by_expert" is validated against CellType.name
✓ "cell_type_by_model" is validated against CellType.name
! indexing datasets with gene symbols can be problematic: https://docs.lamin.ai/faq/symbol-mapping
• saving validated records of 'var_index'
✓ added 1 record from public with Gene.symbol for "var_index": 'CD38'
✓ "var_index" is validated against Gene.symbol
✓ "cell_medium" is validated against ULabel.name
✓ "cell_type_by_model" is validated against CellType.name
"""
    lines = out.splitlines()
    start = lines.index(spec.splitlines()[0])
    assert lines[start : start + 13] == spec.splitlines()

    ln, bt = namespace["ln"], namespace["bt"]
    namespace["artifact"].describe()
    described = capsys.readouterr().out.splitlines()
    # labels in columns, as the features are
    assert described[-4:] == [
        "└── Labels",
        "    ├── .cell_types  CellType  B cell, T cell",
        "    ├── .genes       Gene      CD14, CD4, CD8A",
        "    └── .ulabels     ULabel    Candidate marker study 1, DMSO, IFNG",
    ]
    df = ln.Artifact.df(features=True)
    assert {
        "cell_type_by_expert", "cell_type_by_model", "study", "cell_medium", "temperature", "study_note",
        "date_of_study",
    } == set(df.columns) - {"uid", "key", "description", *ln.Artifact.df().columns}
    dataset1 = namespace["artifact"].id
    dataset2 = namespace["artifact2"].id
    assert df.loc[dataset1, "cell_type_by_expert"] == {"B cell", "T cell"}
    assert df.loc[dataset2, "cell_type_by_model"] == {"B cell", "T cell"}
    assert df.loc[dataset2, "temperature"] == {22.6}
    assert df.attrs["feature_dtypes"]["cell_type_by_model"] == "cat[bionty.CellType]"  # as written
    genes = bt.Gene.df()
    assert set(genes["symbol"]) == {"CD8A", "CD4", "CD14", "CD38"}
    assert genes.set_index("symbol").loc["CD38", "ensembl_gene_id"] == "ENSG00000004468"
    included = ln.Artifact.df(include=["cell_types__name", "feature_sets__registry"])
    assert included.loc[dataset1, "feature_sets__registry"] == {"bio.Gene", "Feature"}
    assert included.loc[dataset1, "cell_types__name"] == {"B cell", "T cell"}


def test_guide_curation_adds_genes_from_public(instance, bt, tmp_path, monkeypatch, capsys):
    """The curation part of the guide, which does not need Registry.from_values."""
    pytest.importorskip("anndata")
    ln = instance
    from lamindb_core.core import datasets

    monkeypatch.chdir(tmp_path)
    ln.Feature(name="cell_medium", dtype="cat[ULabel]").save()
    ln.Feature(name="cell_type_by_model", dtype="cat[bionty.CellType]").save()
    ln.save([ln.ULabel(name=n) for n in ("DMSO", "IFNG")])
    bt.CellType.from_values(["B cell", "T cell"], create=True).save()
    capsys.readouterr()
    adata = datasets.small_dataset2(format="anndata")
    curator = ln.Curator.from_anndata(
        adata,
        var_index=bt.Gene.symbol,
        categoricals={"cell_medium": ln.ULabel.name, "cell_type_by_model": bt.CellType.name},
        organism="human",
    )
    artifact = curator.save_artifact(key="example_datasets/dataset2.h5ad")
    out = capsys.readouterr().out
    assert "✓ added 3 records from public with Gene.symbol for \"var_index\": 'CD8A', 'CD4', 'CD38'" in out
    assert '✓ "var_index" is validated against Gene.symbol' in out
    feature_set = artifact.feature_sets.get(registry="bio.Gene")
    assert set(feature_set.genes.values_list("symbol", flat=True)) == {"CD8A", "CD4", "CD38"}
    assert set(artifact.cell_types.values_list("name", flat=True)) == {"B cell", "T cell"}
