"""An S3-compatible server for the tests: moto's, on a free loopback port, with one bucket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from storage.object_store import ObjectStore
from yusuan.ports import free_port


@contextmanager
def s3_store(bucket: str, prefix: str) -> Iterator[ObjectStore]:
    """The store ``s3://bucket/prefix`` on a moto server started here and stopped after."""
    import boto3
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    keys = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
    try:
        boto3.client("s3", endpoint_url=endpoint, **keys).create_bucket(Bucket=bucket)
        options = {"key": "testing", "secret": "testing", "client_kwargs": {"endpoint_url": endpoint}}
        yield ObjectStore(f"s3://{bucket}/{prefix}", options)
    finally:
        server.stop()
