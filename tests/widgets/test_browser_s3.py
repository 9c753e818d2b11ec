"""The widget browser on an instance whose storage is an S3 bucket (moto on 127.0.0.1): its
artifacts are listed like local ones, with the bucket's URL as storage and path."""

from __future__ import annotations

import html
import secrets

import pandas as pd

from lamindb_jupyter.widgets import browse
from lamindb_jupyter.widgets.browser import SEPARATOR

from test_browser import table_column, table_columns


def test_s3_artifact_rows_features_and_storage_url(s3, s3_root):
    ln = s3
    ln.Feature(name="temperature", dtype="float").save()
    key = f"widget/{secrets.token_hex(4)}.parquet"
    artifact = ln.Artifact.from_df(pd.DataFrame({"x": [1, 2]}), key=key).save()
    artifact.features.add_values({"temperature": 21.5})
    browser = browse(ln.Artifact, debounce=0)
    assert browser.page.ids[0] == artifact.id
    assert table_column(browser, "key")[0] == key
    assert table_column(browser, "suffix")[0] == ".parquet"
    assert table_column(browser, "storage_id")[0] == str(artifact.storage_id)
    browser.include.value = ["storage__root"]
    assert table_column(browser, "storage__root")[0] == s3_root
    browser.features.value = True
    assert "temperature" in table_columns(browser)
    assert browser.page.df.loc[artifact.id, "temperature"] == {21.5}
    line = dict((pk, text) for text, pk in browser.rows.options)[artifact.id]
    assert line.split(SEPARATOR)[table_columns(browser).index("temperature")].strip() == "21.5"


def test_s3_artifact_details_show_describe_and_its_s3_path(s3, s3_root):
    ln = s3
    artifact = ln.Artifact.from_df(pd.DataFrame({"y": [secrets.token_hex(4)]}), key="widget/details.parquet").save()
    browser = browse(ln.Artifact, debounce=0)
    browser.record.value = artifact.id
    shown = html.unescape(browser.detail.value)
    assert shown.count(artifact.describe(return_str=True)) == 1
    assert f".storage = {s3_root}" in shown
    assert f"path: <code>{s3_root}/.lamindb/{artifact.uid}.parquet</code>" in shown


def test_labels_show_no_path(s3):
    label = s3.ULabel(name="widget S3 label").save()
    browser = browse(s3.ULabel, debounce=0)
    browser.record.value = label.id
    assert "widget S3 label" in browser.detail.value and "path:" not in browser.detail.value
