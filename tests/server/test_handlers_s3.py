"""Artifacts of an instance whose storage is an S3 bucket (moto on 127.0.0.1), through the REST API:
listed like local ones, their storage and path shown as ``s3://`` URLs, with details and features."""

from __future__ import annotations

import secrets

import pandas as pd
import pytest

from test_handlers import get


@pytest.fixture(scope="module")
def s3_artifact(s3):
    """A committed DataFrame artifact in the bucket, with the feature value temperature=21.6."""
    ln = s3
    ln.Feature.filter(name="temperature").first() or ln.Feature(name="temperature", dtype="float").save()
    key = f"rest/{secrets.token_hex(4)}.parquet"
    artifact = ln.Artifact.from_df(pd.DataFrame({"x": [1, 2, 3]}), key=key, description="REST S3 table").save()
    artifact.features.add_values({"temperature": 21.6})
    return artifact


async def test_s3_artifact_is_listed_with_its_bucket_and_features(jp_fetch, s3, s3_root, s3_artifact):
    data = await get(jp_fetch, "registries", "Artifact", "records", key=s3_artifact.key)
    assert data["instance"] == s3.setup.settings.instance.slug
    assert data["total"] == 1
    [row] = data["records"]
    assert row["id"] == s3_artifact.id and row["suffix"] == ".parquet" and row["otype"] == "DataFrame"
    assert row["size"] == s3_artifact.size > 0 and row["storage_id"] == s3_artifact.storage_id
    data = await get(jp_fetch, "registries", "Artifact", "records", key=s3_artifact.key, include="storage__root")
    [row] = data["records"]
    assert row["storage__root"] == s3_root and s3_root.startswith("s3://")
    data = await get(jp_fetch, "registries", "Artifact", "records", key=s3_artifact.key, features="true")
    [row] = data["records"]
    assert data["columns"] == ["id", "uid", "key", "description", "temperature"]
    assert row["temperature"] == [21.6] and row["description"] == "REST S3 table"


async def test_s3_storage_record_shows_its_url_and_type(jp_fetch, s3_root, s3_artifact):
    data = await get(jp_fetch, "registries", "Storage", "records", root=s3_root)
    [row] = data["records"]
    assert row["root"] == s3_root and row["type"] == "s3"


async def test_s3_artifact_details_show_its_s3_path_storage_and_features(jp_fetch, s3_root, s3_artifact):
    data = await get(jp_fetch, "registries", "Artifact", "records", s3_artifact.uid)
    assert data["path"] == f"{s3_root}/.lamindb/{s3_artifact.uid}.parquet"
    assert data["path"] == str(s3_artifact.path)
    fields = {f["name"]: f["value"] for f in data["fields"]}
    assert fields["key"] == s3_artifact.key and fields["size"] == s3_artifact.size > 0
    storage = next(r for r in data["relations"] if r["name"] == "storage")
    assert storage["records"] == [{"id": s3_artifact.storage_id, "label": s3_root}]
    assert f".storage = {s3_root}" in data["describe"] and f".path = {s3_root}/.lamindb/" in data["describe"]
    assert "temperature  float  21.6" in data["describe"]


async def test_records_without_data_have_no_path(jp_fetch, s3):
    label = s3.ULabel(name=f"REST S3 {secrets.token_hex(4)}").save()
    try:
        data = await get(jp_fetch, "registries", "ULabel", "records", label.uid)
        assert data["path"] is None and data["label"] == label.name
    finally:
        label.delete()
