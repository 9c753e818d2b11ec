"""A real S3 server on 127.0.0.1 (moto in server mode) and an instance whose storage is a bucket.

``s3_server`` starts ``moto.server.ThreadedMotoServer`` on a free port once per session and
points the standard AWS configuration at it (``AWS_ENDPOINT_URL``, test credentials), as a user
would for MinIO. ``s3`` is the instance: created with ``ln.setup.init(storage="s3://...")`` on the
session's backend (embedded SQLite, or a fresh PostgreSQL database), used by the module, and
left for the session's local instance afterwards. Tests here commit (the objects in the bucket
cannot be rolled back); each uses content of its own.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from urllib.parse import urlsplit, urlunsplit

import pytest

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")

pytest.importorskip("s3fs")
pytest.importorskip("moto.server")


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class S3Server:
    """The running server: its endpoint, and a boto3 client for setting up buckets."""

    endpoint: str

    def client(self):
        """A boto3 S3 client of the server."""
        import boto3

        return boto3.client("s3", endpoint_url=self.endpoint)

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket (a random name by default) and return its name."""
        name = name or f"bucket-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on 127.0.0.1, with the AWS environment pointing at it."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    saved = {k: os.environ.get(k) for k in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL")}
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
    )
    try:
        yield S3Server(endpoint)
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory) -> Iterator[S3Server]:
    """A second moto server, in its own process, that checks credentials (IAM): a bucket
    ``locked-bucket`` and a user ``reader`` who may list and read but not write; yields the
    server with ``reader_key`` (id, secret)."""
    import boto3
    import json

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


@pytest.fixture(scope="session")
def s3_db() -> Iterator[str | None]:
    """The database of the S3 instance: ``None`` (embedded SQLite) or a fresh PostgreSQL database."""
    if not ON_POSTGRES:
        yield None
        return
    import psycopg
    from psycopg import sql

    name = "lamin_test_s3_" + secrets.token_hex(4)
    with psycopg.connect(TEST_DB, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(TEST_DB)._replace(path="/" + name))
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(TEST_DB, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def s3_root(s3_server: S3Server) -> str:
    """The storage location of the S3 instance, ``s3://<bucket>/lamin``."""
    return f"s3://{s3_server.create_bucket()}/lamin"


@pytest.fixture(scope="module")
def s3(instance, s3_server, s3_root, s3_db) -> Iterator:
    """The S3 instance, current for the module; yields ``lamindb_core``."""
    ln = instance
    previous = ln.setup.settings.instance.slug
    ln.setup.init(storage=s3_root, db=s3_db, name="pytest-s3")
    try:
        yield ln
    finally:
        ln.setup.settings._switch_storage(None)
        ln.setup.connect(previous)


@pytest.fixture
def cache_dir(s3, tmp_path, monkeypatch) -> Path:
    """An empty cache folder of this test's data (``data/`` in ``LAMIN_CORE_CACHE_DIR``)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("LAMIN_CORE_CACHE_DIR", str(folder))
    return folder / "data"


def unique_bytes(size: int = 64) -> bytes:
    """Content no other test has."""
    return secrets.token_bytes(size)
