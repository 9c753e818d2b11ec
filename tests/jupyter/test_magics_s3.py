"""%ln on an instance whose storage is an S3 bucket (moto on 127.0.0.1), through a real IPython
shell: artifacts in the bucket are queried and shown like local ones, the bucket's URL as storage."""

from __future__ import annotations

import secrets

import pandas as pd
import pytest


@pytest.fixture
def s3_artifact(s3):
    """A DataFrame artifact saved into the bucket, with temperature=21.6 (its rows are rolled back)."""
    ln = s3
    ln.Feature(name="temperature", dtype="float").save()
    artifact = ln.Artifact.from_df(
        pd.DataFrame({"x": [1, 2]}), key=f"magic/{secrets.token_hex(4)}.parquet", description="magic S3 table"
    ).save()
    artifact.features.add_values({"temperature": 21.6})
    return artifact


def test_filter_artifact_lists_s3_artifacts_like_local_ones(shell, run, s3, s3_artifact):
    run("df = %ln filter Artifact suffix=.parquet")
    df = shell.user_ns["df"]
    assert s3_artifact.id in df.index
    row = df.loc[s3_artifact.id]
    assert row["key"] == s3_artifact.key and row["otype"] == "DataFrame" and row["size"] == s3_artifact.size
    assert row["storage_id"] == s3.Storage.get(root=s3.setup.settings.storage.root).id
    pd.testing.assert_frame_equal(df, s3.Artifact.filter(suffix=".parquet").df())


def test_filter_artifact_includes_the_bucket_url_and_features(shell, run, s3_root, s3_artifact):
    run(f"df = %ln filter Artifact key={s3_artifact.key} --include storage__root --features")
    df = shell.user_ns["df"]
    assert list(df.index) == [s3_artifact.id]
    assert df.loc[s3_artifact.id, "storage__root"] == s3_root
    assert df.loc[s3_artifact.id, "temperature"] == {21.6}


def test_get_artifact_shows_its_s3_storage(shell, run, html, s3_root, s3_artifact):
    result = run(f"%ln get Artifact {s3_artifact.uid}")
    assert result.result == s3_artifact
    assert str(result.result.path) == f"{s3_root}/.lamindb/{s3_artifact.uid}.parquet"
    shown = html(result.result)
    assert s3_artifact.key in shown and "magic S3 table" in shown


def test_info_names_the_bucket(shell, capsys, s3_root):
    shell.run_cell("%ln info")
    assert s3_root in capsys.readouterr().out
