"""Evidence files in S3-compatible object storage (MinIO, Ceph RGW, Aliyun OSS, Tencent COS, AWS S3), over boto3.

boto3's client is synchronous and thread-safe: each call runs in a worker thread, so the event loop never waits on
the network. An upload goes up in parts of `part_bytes` (multipart upload; a file smaller than one part is one
PUT), so at most one part is in memory; a failed or refused upload is aborted, leaving nothing in the bucket.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any, Protocol

import anyio
import boto3
from anyio import to_thread
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from services.common.evidence.settings import EvidenceSettings
from services.common.evidence.storage import READ_BYTES, UNAVAILABLE, Digest, StoredBlob, checked_key
from services.common.problems import NotFound, ServiceUnavailable

logger = logging.getLogger("duban.evidence")
_MISSING = {"NoSuchKey", "404", "NotFound"}


class S3Client(Protocol):
    """The calls of boto3's S3 client this store makes (each takes keyword arguments, as boto3's do)."""

    def put_object(self, **arguments: Any) -> Any: ...
    def get_object(self, **arguments: Any) -> Any: ...
    def delete_object(self, **arguments: Any) -> Any: ...
    def create_multipart_upload(self, **arguments: Any) -> Any: ...
    def upload_part(self, **arguments: Any) -> Any: ...
    def complete_multipart_upload(self, **arguments: Any) -> Any: ...
    def abort_multipart_upload(self, **arguments: Any) -> Any: ...


def s3_client(settings: EvidenceSettings) -> S3Client:
    """A boto3 S3 client for the configured endpoint (path-style addressing, which every S3-compatible store takes)."""
    secret = settings.evidence_s3_secret_access_key.get_secret_value()
    client: S3Client = boto3.session.Session().client(
        "s3",
        endpoint_url=settings.evidence_s3_endpoint_url or None,
        region_name=settings.evidence_s3_region or None,
        aws_access_key_id=settings.evidence_s3_access_key_id or None,
        aws_secret_access_key=secret or None,
        config=Config(
            s3={"addressing_style": "path"},
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )
    return client


class S3Storage:
    """Files as objects of one bucket, under an optional key prefix."""

    def __init__(self, client: S3Client, bucket: str, *, prefix: str = "", part_bytes: int = 8 * 1024 * 1024) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix
        self.part_bytes = part_bytes

    def _key(self, key: str) -> str:
        return self.prefix + checked_key(key)

    async def _call(self, method: Callable[..., Any], **arguments: Any) -> Any:
        try:
            return await to_thread.run_sync(partial(method, Bucket=self.bucket, **arguments))
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) in _MISSING:
                raise NotFound("The file is missing from the storage.") from exc
            logger.warning("evidence storage (bucket %s): %s", self.bucket, exc)
            raise ServiceUnavailable(UNAVAILABLE, headers={"Retry-After": "30"}) from exc
        except BotoCoreError as exc:
            logger.warning("evidence storage (bucket %s): %s", self.bucket, exc)
            raise ServiceUnavailable(UNAVAILABLE, headers={"Retry-After": "30"}) from exc

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> StoredBlob:
        name, digest, buffer = self._key(key), Digest(), bytearray()
        upload = _Multipart(self, name)
        try:
            async for chunk in chunks:
                buffer += digest.counted(chunk)
                if len(buffer) >= self.part_bytes:
                    await upload.part(bytes(buffer))
                    buffer.clear()
            if upload.upload_id is None:
                await self._call(self.client.put_object, Key=name, Body=bytes(buffer))
            else:
                if buffer:
                    await upload.part(bytes(buffer))
                await upload.complete()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await upload.abort()
            raise
        return digest.blob()

    async def get(self, key: str) -> AsyncIterator[bytes]:
        answer = await self._call(self.client.get_object, Key=self._key(key))
        return _read(answer["Body"])

    async def delete(self, key: str) -> None:
        await self._call(self.client.delete_object, Key=self._key(key))


class _Multipart:
    """One multipart upload, started with its first part."""

    def __init__(self, store: S3Storage, key: str) -> None:
        self.store, self.key = store, key
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []

    async def part(self, data: bytes) -> None:
        store = self.store
        if self.upload_id is None:
            started = await store._call(store.client.create_multipart_upload, Key=self.key)
            self.upload_id = str(started["UploadId"])
        number = len(self.parts) + 1
        sent = await store._call(
            store.client.upload_part, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=data
        )
        self.parts.append({"ETag": sent["ETag"], "PartNumber": number})

    async def complete(self) -> None:
        store = self.store
        await store._call(
            store.client.complete_multipart_upload,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self.parts},
        )
        self.upload_id = None  # done: nothing to abort

    async def abort(self) -> None:
        if self.upload_id is None:
            return
        store = self.store
        try:
            await store._call(store.client.abort_multipart_upload, Key=self.key, UploadId=self.upload_id)
        except (ServiceUnavailable, NotFound):
            logger.warning("evidence storage: multipart upload %s of %s was not aborted", self.upload_id, self.key)


async def _read(body: Any) -> AsyncIterator[bytes]:
    try:
        while data := await to_thread.run_sync(body.read, READ_BYTES):
            yield data
    finally:
        body.close()
