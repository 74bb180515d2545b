"""The type of an uploaded file, read from its first bytes (magic numbers), never from its name.

Accepted: PDF, PNG, JPEG, GIF, WebP, Word and Excel (OOXML .docx/.xlsx, told apart by the zip's member names or its
[Content_Types].xml; legacy OLE .doc/.xls, told apart by the stream names in the compound file's directory, else by
the name's extension). Anything else is refused (415), and so is a file over the size limit (413), while the bytes
stream: the caller stops reading and stores nothing.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from services.common.problems import PayloadTooLarge, Unprocessable, UnsupportedMediaType

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
MEDIA_TYPES = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, DOC, XLS)
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", GIF: ".gif", WEBP: ".webp", DOCX: ".docx", XLSX: ".xlsx"}
EXTENSIONS |= {DOC: ".doc", XLS: ".xls"}

HEAD_BYTES = 64 * 1024  # what is read before the type is decided (a zip's first members, an OLE directory)
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIMPLE = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG), (b"GIF87a", GIF), (b"GIF89a", GIF))
_OOXML_PARTS = ((b"word/", DOCX), (b"xl/", XLSX))
_OOXML_TYPES = ((b"wordprocessingml.document.main", DOCX), (b"spreadsheetml.sheet.main", XLSX))
_OLE_NAMES = (("WordDocument", DOC), ("Workbook", XLS), ("Book", XLS))
_OLE_STREAMS = tuple((name.encode("utf-16-le"), media_type) for name, media_type in _OLE_NAMES)


def sniff(head: bytes, filename: str) -> str | None:
    """The media type of a file starting with `head` (up to HEAD_BYTES of it), or None when it is not one we take."""
    for magic, media_type in _SIMPLE:
        if head.startswith(magic):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(_ZIP):
        return _ooxml(head)
    if head.startswith(_OLE):
        return _ole(head, filename)
    return None


def _zip_members(head: bytes) -> list[tuple[str, int, int, bytes]]:
    """(name, method, flags, the bytes after the name) of each local file header found in `head`."""
    members = []
    for found in re.finditer(re.escape(_ZIP), head):
        start = found.start()
        if start + 30 > len(head):
            break
        flags, method = struct.unpack_from("<HH", head, start + 6)
        name_length, extra_length = struct.unpack_from("<HH", head, start + 26)
        name = head[start + 30 : start + 30 + name_length]
        members.append((name.decode("cp437"), method, flags, head[start + 30 + name_length + extra_length :]))
    return members


def _ooxml(head: bytes) -> str | None:
    """docx or xlsx, by the members' folders (word/, xl/) or the declared main part of [Content_Types].xml."""
    members = _zip_members(head)
    for name, _, _, _ in members:
        for folder, media_type in _OOXML_PARTS:
            if name.encode().startswith(folder):
                return media_type
    for name, method, _, data in members:
        if name == "[Content_Types].xml":
            text = _inflated(data) if method == 8 else data
            for marker, media_type in _OOXML_TYPES:
                if marker in text:
                    return media_type
    return None


def _inflated(data: bytes) -> bytes:
    """As much of a raw deflate stream as `data` holds, decompressed (bounded: the head is)."""
    try:
        return zlib.decompressobj(-15).decompress(data, HEAD_BYTES)
    except zlib.error:
        return b""


def _ole(head: bytes, filename: str) -> str | None:
    """.doc or .xls: by the stream names of the directory when it is in the head, else by the name's extension."""
    for stream, media_type in _OLE_STREAMS:
        if stream in head:
            return media_type
    lowered = filename.lower()
    return DOC if lowered.endswith(".doc") else XLS if lowered.endswith(".xls") else None


@dataclass(slots=True)
class Inspection:
    """An upload as it streams: its type (known once the head is read) and its size so far."""

    filename: str
    limit: int
    media_type: str | None = None
    size: int = 0

    async def chunks(self, body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """The body's chunks, passed on once the head names an accepted type; 413 past the limit, 415 for a type
        not accepted, 422 for an empty body: raised before the chunk that would break the rule is passed on."""
        head = bytearray()
        async for chunk in body:
            if not chunk:
                continue
            self._count(chunk)
            if self.media_type is None:
                head += chunk
                if len(head) < HEAD_BYTES:
                    continue
                self._decide(bytes(head))
                chunk, head = bytes(head), bytearray()
            yield chunk
        if self.media_type is None:
            self._decide(bytes(head))
            yield bytes(head)

    def _count(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise PayloadTooLarge(f"The file is larger than {self.limit} bytes.")

    def _decide(self, head: bytes) -> None:
        if not head:
            raise Unprocessable("The file is empty.", at=("body",))
        self.media_type = sniff(head, self.filename)
        if self.media_type is None:
            raise UnsupportedMediaType(
                "The file is not one of the accepted types (PDF, PNG, JPEG, GIF, WebP, Word, Excel); "
                "its type is read from its content, not its name."
            )
