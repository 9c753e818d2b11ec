"""Shared S3 fixtures (a pytest plugin, registered in ``tests/conftest.py``): a real S3 server on
127.0.0.1 (moto in server mode) and an instance whose storage is a bucket.

``s3_server`` starts ``moto.server.ThreadedMotoServer`` on a free port once per session and
points the standard AWS configuration at it (``AWS_ENDPOINT_URL``, test credentials), as a user
would for MinIO. ``s3`` is the instance: created with ``ln.setup.init(storage="s3://...")`` on the
session's backend (embedded SQLite, or a fresh PostgreSQL database), current for the module
that uses it, and left for the session's local instance afterwards. Objects written to the
bucket cannot be rolled back; each test uses content of its own. tests/s3, tests/server,
tests/widgets and tests/jupyter use these fixtures.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pytest

TEST_DB = os.environ.get("LAMIN_CORE_TEST_DB", "sqlite").strip() or "sqlite"
ON_POSTGRES = urlsplit(TEST_DB).scheme in ("postgresql", "postgres")


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
    """moto's S3 server on 127.0.0.1, with the AWS environment pointing at it (skips the
    test when moto's server or s3fs is not installed)."""
    pytest.importorskip("s3fs")
    ThreadedMotoServer = pytest.importorskip("moto.server").ThreadedMotoServer

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
