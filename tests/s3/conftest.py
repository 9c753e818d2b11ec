"""Fixtures of the S3 tests: the shared ones (``s3_server``, ``s3``, ...) come from
``tests/s3_fixtures.py``; here a second server that checks credentials, and a cache folder.

Tests here commit (the objects in the bucket cannot be rolled back); each uses content of its own.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")

from s3_fixtures import S3Server, free_port  # noqa: E402  (tests/, on sys.path as the plugin's folder)


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory) -> Iterator[S3Server]:
    """A second moto server, in its own process, that checks credentials (IAM): a bucket
    ``locked-bucket`` and a user ``reader`` who may list and read but not write; yields the
    server with ``reader_key`` (id, secret)."""
    import boto3

    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="4")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        kwargs = {"endpoint_url": endpoint, "aws_access_key_id": "testing", "aws_secret_access_key": "testing",
                  "region_name": "us-east-1"}
        boto3.client("s3", **kwargs).create_bucket(Bucket="locked-bucket")
        iam = boto3.client("iam", **kwargs)
        iam.create_user(UserName="reader")
        iam.put_user_policy(UserName="reader", PolicyName="read-only", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": "*"}],
        }))
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        server = S3Server(endpoint)
        server.reader_key = (key["AccessKeyId"], key["SecretAccessKey"])
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def cache_dir(s3, tmp_path, monkeypatch) -> Path:
    """An empty cache folder of this test's data (``data/`` in ``LAMIN_CORE_CACHE_DIR``)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("LAMIN_CORE_CACHE_DIR", str(folder))
    return folder / "data"


def unique_bytes(size: int = 64) -> bytes:
    """Content no other test has."""
    return secrets.token_bytes(size)
