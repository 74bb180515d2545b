"""The one storage seam of evidence files: a `BlobStore` takes a file as a stream of chunks and gives it back the
same way, so no file is ever whole in memory. `LocalStorage` keeps files under a directory (the default, under
var/); `S3Storage` (s3.py) keeps them in S3-compatible object storage (MinIO, Ceph RGW, OSS, COS, AWS S3) for
production, where the services run on several hosts.

Keys are made by the caller (`owner_kind/owner_id/<random>`), never from a file's name.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol

import anyio
from anyio import to_thread

from services.common.evidence.settings import EvidenceBackend, EvidenceSettings
from services.common.problems import NotFound, ServiceUnavailable
from services.common.settings import REPO_ROOT

logger = logging.getLogger("duban.evidence")

READ_BYTES = 256 * 1024  # one chunk of a download
_KEY = re.compile(r"[a-z_]{1,20}/[0-9]{1,10}/[0-9a-f]{32}")
UNAVAILABLE = "The file storage is unavailable; nothing was stored."


@dataclass(frozen=True, slots=True)
class StoredBlob:
    """What a store kept: the file's size in bytes and its SHA-256 (hex)."""

    size: int
    sha256: str


class BlobStore(Protocol):
    """Where evidence files live. Every method streams; none holds a whole file."""

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> StoredBlob:
        """Store the chunks under `key`; if the chunks raise, nothing is left under it and the error propagates."""
        ...

    async def get(self, key: str) -> AsyncIterator[bytes]:
        """The file's chunks (opened here, so a missing file is a 404 before the answer starts)."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the file; a key that holds nothing is no error."""
        ...


def checked_key(key: str) -> str:
    """A key as the services make them; anything else (a path from elsewhere) is refused before any I/O."""
    if not _KEY.fullmatch(key):
        raise ValueError(f"not an evidence key: {key!r}")
    return key


class Digest:
    """The size and SHA-256 of the chunks that pass through `counted`."""

    def __init__(self) -> None:
        self.size = 0
        self._hash = hashlib.sha256()

    def counted(self, chunk: bytes) -> bytes:
        self.size += len(chunk)
        self._hash.update(chunk)
        return chunk

    def blob(self) -> StoredBlob:
        return StoredBlob(self.size, self._hash.hexdigest())


class LocalStorage:
    """Files under one directory, written to a temporary name and renamed into place when complete."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / checked_key(key)

    async def put(self, key: str, chunks: AsyncIterator[bytes]) -> StoredBlob:
        path = self._path(key)
        partial_path = path.with_name(path.name + ".part")
        digest = Digest()
        try:
            await to_thread.run_sync(partial(path.parent.mkdir, parents=True, exist_ok=True))
            async with await anyio.open_file(partial_path, "wb") as out:
                async for chunk in chunks:
                    await out.write(digest.counted(chunk))
            await to_thread.run_sync(os.replace, partial_path, path)
        except OSError as exc:
            partial_path.unlink(missing_ok=True)
            logger.warning("evidence storage %s: %s", self.root, exc)
            raise ServiceUnavailable(UNAVAILABLE, headers={"Retry-After": "30"}) from exc
        except BaseException:
            # Synchronously, on purpose: this also runs on cancellation, where an await could be cancelled in turn.
            partial_path.unlink(missing_ok=True)
            raise
        return digest.blob()

    async def get(self, key: str) -> AsyncIterator[bytes]:
        try:
            file = await anyio.open_file(self._path(key), "rb")
        except FileNotFoundError as exc:
            logger.error("evidence file %s is missing from %s", key, self.root)
            raise NotFound("The file is missing from the storage.") from exc
        return _read(file)

    async def delete(self, key: str) -> None:
        await to_thread.run_sync(partial(self._path(key).unlink, missing_ok=True))


async def _read(file: anyio.AsyncFile[bytes]) -> AsyncIterator[bytes]:
    async with file:
        while data := await file.read(READ_BYTES):
            yield data


def blob_store(settings: EvidenceSettings, service: str) -> BlobStore:
    """The store the settings name: S3-compatible object storage, or a local directory (var/evidence/<service>)."""
    if settings.evidence_backend is EvidenceBackend.S3:
        # boto3 is loaded only by a service configured for S3 (it is tens of MB).
        from services.common.evidence import s3  # noqa: PLC0415

        return s3.S3Storage(
            s3.s3_client(settings),
            settings.evidence_s3_bucket,
            prefix=settings.evidence_s3_prefix,
            part_bytes=settings.evidence_s3_part_bytes,
        )
    root = Path(settings.evidence_dir) if settings.evidence_dir else REPO_ROOT / "var" / "evidence" / service
    return LocalStorage(root)
