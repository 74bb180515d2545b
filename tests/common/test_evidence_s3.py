"""The S3 store of evidence files against a real S3 implementation run locally (moto's server mode): multipart
uploads streamed in parts, the round trip with SHA-256, and nothing left in the bucket by a refused upload."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Iterator

import pytest

from services.common.evidence.settings import EvidenceBackend
from services.common.evidence.storage import blob_store
from services.common.problems import NotFound, ServiceUnavailable, UnsupportedMediaType
from services.reporting_api.settings import ReportingSettings

moto_server = pytest.importorskip("moto.server")
s3 = pytest.importorskip("services.common.evidence.s3")

BUCKET = "duban-evidence"
KEY = "report/3/" + "cd" * 16
PART = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def settings(endpoint: str) -> ReportingSettings:
    settings = ReportingSettings(
        environment="test",
        evidence_backend=EvidenceBackend.S3,
        evidence_s3_bucket=BUCKET,
        evidence_s3_endpoint_url=endpoint,
        evidence_s3_region="us-east-1",
        evidence_s3_access_key_id="testing",
        evidence_s3_secret_access_key="testing",
        evidence_s3_prefix="duban/",
        evidence_s3_part_bytes=PART,
    )
    client = s3.s3_client(settings)
    buckets = [b["Name"] for b in client.list_buckets()["Buckets"]]
    if BUCKET not in buckets:
        client.create_bucket(Bucket=BUCKET)
    return settings


async def chunked(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def objects(settings: ReportingSettings) -> list[str]:
    listed = s3.s3_client(settings).list_objects_v2(Bucket=BUCKET)
    return [o["Key"] for o in listed.get("Contents", [])]


def uploads_in_progress(settings: ReportingSettings) -> list[str]:
    return [u["Key"] for u in s3.s3_client(settings).list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]


@pytest.mark.parametrize("size", [1000, 2 * PART + 12345])
def test_a_file_goes_up_in_parts_and_comes_back_with_its_sha256(settings, size):
    store = blob_store(settings, "reporting_api")
    data = os.urandom(size)

    async def run() -> bytes:
        stored = await store.put(KEY, chunked(data))
        assert (stored.size, stored.sha256) == (size, hashlib.sha256(data).hexdigest())
        return b"".join([chunk async for chunk in await store.get(KEY)])

    assert asyncio.run(run()) == data
    assert f"duban/{KEY}" in objects(settings)
    asyncio.run(store.delete(KEY))
    assert f"duban/{KEY}" not in objects(settings)
    with pytest.raises(NotFound):
        asyncio.run(store.get(KEY))


def test_a_refused_upload_is_aborted_and_leaves_nothing_in_the_bucket(settings):
    store = blob_store(settings, "reporting_api")

    async def refused_after_two_parts() -> AsyncIterator[bytes]:
        async for chunk in chunked(os.urandom(2 * PART + 1)):
            yield chunk
        raise UnsupportedMediaType("not a file we take")

    key = "report/4/" + "ef" * 16
    with pytest.raises(UnsupportedMediaType):
        asyncio.run(store.put(key, refused_after_two_parts()))
    assert f"duban/{key}" not in objects(settings)
    assert uploads_in_progress(settings) == []


def test_a_store_that_does_not_answer_is_a_503(settings):
    unreachable = settings.model_copy(update={"evidence_s3_endpoint_url": "http://127.0.0.1:9"})
    store = s3.S3Storage(s3.s3_client(unreachable), BUCKET)
    with pytest.raises(ServiceUnavailable):
        asyncio.run(store.put(KEY, chunked(b"%PDF-1.7")))
