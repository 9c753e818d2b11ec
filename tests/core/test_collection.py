"""Collection as in LaminDB 1.0: artifacts in order, versions, load, cache, mapped, trash."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.usefixtures("storage_files")


@pytest.fixture
def frames(instance):
    ln = instance
    df1 = pd.DataFrame({"a": [1, 2], "b": [3, 4]})
    df2 = pd.DataFrame({"a": [5], "c": [6]})
    return [
        ln.Artifact.from_df(df1, key="shards/1.parquet").save(),
        ln.Artifact.from_df(df2, key="shards/2.parquet").save(),
    ]


def test_collection_keeps_its_artifacts_in_order(instance, frames):
    ln = instance
    collection = ln.Collection([frames[1], frames[0]], key="shards").save()
    assert [a.id for a in collection.ordered_artifacts] == [frames[1].id, frames[0].id]
    assert collection.data_artifact == frames[1]
    assert len(collection.uid) == 20 and collection.uid.endswith("0000") and collection.is_latest
    # the same artifacts again: the existing collection
    again = ln.Collection([frames[0], frames[1]], key="shards")
    assert again.id == collection.id and not again._state.adding


def test_collection_name_is_taken_as_key(instance, frames):
    ln = instance
    with pytest.warns(FutureWarning, match="please pass my-collection to `key` instead"):
        collection = ln.Collection(frames[0], name="my-collection")
    assert collection.key == "my-collection"
    collection.save()
    assert ln.Collection.get(name="my-collection") == collection  # queries take name for key too


def test_collection_constructor_errors_are_lamindbs(instance, frames):
    ln = instance
    with pytest.raises(ValueError) as info:
        ln.Collection(frames[0], frames[1])
    assert info.exconly() == "ValueError: Only one non-keyword arg allowed: artifacts"
    with pytest.raises(ValueError, match="Only artifacts, key, run, description, reference, reference_type can be passed"):
        ln.Collection(frames, key="x", x=1)
    unsaved = ln.Artifact.from_df(pd.DataFrame({"z": [1]}), key="unsaved.parquet")
    with pytest.raises(ValueError, match="Not all artifacts are yet saved, please save them"):
        ln.Collection([frames[0], unsaved], key="x")
    with pytest.raises(ValueError, match="Artifact or list\\[Artifact\\] is allowed"):
        ln.Collection(["not an artifact"], key="x")


def test_collection_load_concatenates_and_cache_lists_paths(instance, frames):
    ln = instance
    collection = ln.Collection(frames, key="shards", description="two shards").save()
    df = collection.load()
    assert list(df.columns) == ["a", "b", "c"] and len(df) == 3
    assert collection.load(join="inner").columns.tolist() == ["a"]
    assert collection.cache() == [frames[0].path, frames[1].path]


def test_collection_append_is_the_next_version(instance, frames, tmp_path):
    ln = instance
    v1 = ln.Collection(frames[0], key="growing", description="growing").save()
    v2 = v1.append(frames[1])
    assert v2._state.adding and v2.uid == v1.stem_uid + "0001"
    assert (v2.key, v2.description) == ("growing", "growing")
    v2.save()
    assert not v1.is_latest and not ln.Collection.get(v1.uid).is_latest
    assert [a.id for a in v2.ordered_artifacts] == [frames[0].id, frames[1].id]
    assert [c.uid for c in v2.versions] == [v1.uid, v2.uid]


def test_collection_trash_restore_and_permanent_delete_keep_the_artifacts(instance, frames):
    ln = instance
    collection = ln.Collection(frames, key="to-trash").save()
    collection.delete()
    assert collection._branch_code == -1
    assert ln.Collection.filter(key="to-trash").count() == 0
    assert ln.Collection.filter(key="to-trash", _branch_code=None).count() == 1
    assert collection.ordered_artifacts[0]._branch_code == 1
    collection.restore()
    assert ln.Collection.filter(key="to-trash").count() == 1
    collection.delete(permanent=True)
    assert ln.Collection.filter(key="to-trash", _branch_code=None).count() == 0
    assert ln.Artifact.filter(id__in=[a.id for a in frames]).count() == 2


def _h5ad(ln, tmp_path, name, cell_types, genes, seed):
    import anndata as ad

    rng = np.random.default_rng(seed)
    adata = ad.AnnData(
        X=rng.random((len(cell_types), len(genes))).astype(np.float32),
        obs=pd.DataFrame({"cell_type": cell_types}, index=[f"{name}{i}" for i in range(len(cell_types))]),
    )
    adata.var_names = genes
    return ln.Artifact.from_anndata(adata, key=f"{name}.h5ad").save(), adata


def test_collection_mapped_is_a_map_style_dataset(instance, tmp_path):
    ln = instance
    a1, ad1 = _h5ad(ln, tmp_path, "a", ["B cell", "T cell", "T cell"], ["g1", "g2", "g3"], 1)
    a2, ad2 = _h5ad(ln, tmp_path, "b", ["NK cell", "B cell"], ["g2", "g3", "g4"], 2)
    collection = ln.Collection([a1, a2], key="cells").save()
    with collection.mapped(obs_keys="cell_type") as ds:
        assert len(ds) == 5 and ds.shape == (5, 2)  # the shared genes g2, g3
        assert ds.encoders["cell_type"] == {"B cell": 0, "NK cell": 1, "T cell": 2}
        item = ds[3]
        assert item["_store_idx"] == 1 and item["cell_type"] == 1
        np.testing.assert_allclose(item["X"], ad2.X[0, :2])
        np.testing.assert_allclose(ds[1]["X"], ad1.X[1, 1:])
        assert ds[-1]["cell_type"] == 0
        with pytest.raises(IndexError):
            ds[5]
    with collection.mapped(obs_keys="cell_type", join="outer", obs_filter={"cell_type": "B cell"}) as ds:
        assert len(ds) == 2 and ds.shape == (2, 4)
        np.testing.assert_allclose(ds[1]["X"], [0.0, *ad2.X[1]])
