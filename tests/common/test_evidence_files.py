"""Evidence files (services/common/evidence/): the type read from the content, the size bound while streaming, the
local store's round trip with SHA-256, and the settings that choose the store."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator

import pytest

from services.common.evidence import sniff
from services.common.evidence.routes import owner_words
from services.common.evidence.settings import EvidenceBackend
from services.common.evidence.sniff import Inspection
from services.common.evidence.storage import LocalStorage, blob_store
from services.common.problems import NotFound, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from services.common.settings import SettingsRefused
from services.reporting_api.settings import ReportingSettings
from tests import evidence_files as files

KEY = "report/7/" + "ab" * 16


async def chunked(data: bytes, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (files.PDF, sniff.PDF),
        (files.PNG, sniff.PNG),
        (files.JPEG, sniff.JPEG),
        (files.GIF, sniff.GIF),
        (files.WEBP, sniff.WEBP),
        (files.docx(), sniff.DOCX),
        (files.xlsx(), sniff.XLSX),
    ],
)
def test_each_accepted_type_is_read_from_its_content_whatever_its_name(data, media_type):
    assert sniff.sniff(data[: sniff.HEAD_BYTES], "whatever.txt") == media_type


@pytest.mark.parametrize(
    "data",
    [files.EXE, b"hello, world", files.zipped([("notes.txt", b"plain zip")]), b"<html><script>", b"\x00" * 100],
)
def test_other_content_is_not_accepted(data):
    assert sniff.sniff(data, "report.pdf") is None


def test_a_word_file_is_known_by_its_content_types_when_its_parts_come_late():
    content_types = b'<Types><Override ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'  # noqa: E501
    padded = files.zipped(
        [("[Content_Types].xml", content_types), ("pad/filler.bin", os.urandom(100_000)), ("word/document.xml", b"")]
    )
    assert b"word/" not in padded[: sniff.HEAD_BYTES]
    assert sniff.sniff(padded[: sniff.HEAD_BYTES], "x") == sniff.DOCX


def test_legacy_office_files_are_told_apart_by_their_streams_else_by_their_name():
    assert sniff.sniff(files.OLE + "WordDocument".encode("utf-16-le"), "x.bin") == sniff.DOC
    assert sniff.sniff(files.OLE + "Workbook".encode("utf-16-le"), "x.bin") == sniff.XLS
    assert sniff.sniff(files.OLE, "旧表格.XLS") == sniff.XLS
    assert sniff.sniff(files.OLE, "旧文件.doc") == sniff.DOC
    assert sniff.sniff(files.OLE, "unknown.msg") is None


async def _passed(inspection: Inspection, data: bytes, size: int = 1000) -> bytes:
    return b"".join([chunk async for chunk in inspection.chunks(chunked(data, size))])


def test_an_inspection_passes_the_bytes_on_unchanged_and_names_their_type():
    data = files.PDF * 40  # past the head
    inspection = Inspection("a.pdf", limit=len(data))
    assert asyncio.run(_passed(inspection, data, 777)) == data
    assert (inspection.media_type, inspection.size) == (sniff.PDF, len(data))


def test_an_inspection_refuses_past_the_limit_before_passing_the_chunk_on():
    passed: list[bytes] = []

    async def run() -> None:
        async for chunk in Inspection("a.pdf", limit=100_000).chunks(chunked(files.PDF * 100, 10_000)):
            passed.append(chunk)

    with pytest.raises(PayloadTooLarge):
        asyncio.run(run())
    assert sum(map(len, passed)) <= 100_000


@pytest.mark.parametrize(("data", "error"), [(files.EXE, UnsupportedMediaType), (b"", Unprocessable)])
def test_an_inspection_refuses_a_type_not_accepted_and_an_empty_file(data, error):
    with pytest.raises(error):
        asyncio.run(_passed(Inspection("a.pdf", limit=10**6), data))


def test_local_storage_round_trips_a_file_with_its_size_and_sha256(tmp_path):
    store = LocalStorage(tmp_path)
    data = os.urandom(700_000)

    async def run() -> bytes:
        stored = await store.put(KEY, chunked(data, 65_536))
        assert (stored.size, stored.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        return b"".join([chunk async for chunk in await store.get(KEY)])

    assert asyncio.run(run()) == data
    asyncio.run(store.delete(KEY))
    with pytest.raises(NotFound):
        asyncio.run(store.get(KEY))


def test_local_storage_keeps_nothing_of_an_upload_that_failed(tmp_path):
    store = LocalStorage(tmp_path)

    async def failing() -> AsyncIterator[bytes]:
        yield b"%PDF-" + b"x" * 5000
        raise PayloadTooLarge("too large")

    with pytest.raises(PayloadTooLarge):
        asyncio.run(store.put(KEY, failing()))
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_local_storage_refuses_a_key_that_is_not_one_of_ours(tmp_path):
    with pytest.raises(ValueError, match="not an evidence key"):
        asyncio.run(LocalStorage(tmp_path).delete("../../etc/passwd"))


def test_settings_choose_the_store_and_refuse_s3_without_a_bucket(tmp_path, monkeypatch):
    local = ReportingSettings(environment="test", evidence_dir=str(tmp_path))
    assert isinstance(blob_store(local, "reporting_api"), LocalStorage)
    monkeypatch.setenv("REPORTING_API_EVIDENCE_BACKEND", "s3")
    monkeypatch.setenv("REPORTING_API_EVIDENCE_S3_SECRET_ACCESS_KEY", "very-secret")
    with pytest.raises(ValueError, match="REPORTING_API_EVIDENCE_S3_BUCKET") as refused:
        ReportingSettings(environment="test")
    assert "very-secret" not in str(refused.value)
    settings = ReportingSettings(environment="test", evidence_s3_bucket="duban")
    assert settings.evidence_backend is EvidenceBackend.S3
    assert "very-secret" not in repr(settings)
    assert isinstance(SettingsRefused("x"), ValueError)


@pytest.mark.parametrize(
    ("kind", "words"),
    [("report", "a report"), ("instruction", "an instruction"), ("instruction_reply", "an instruction reply")],
)
def test_the_routes_name_their_owner_in_words_with_its_article(kind, words):
    assert owner_words(kind) == words
