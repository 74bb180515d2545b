"""The peer client's cache: rows parsed from a page are validated again only when the page's answer changed."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from services.common.http import ServiceClient

parsed: list[Any] = []


def parse(rows: list[Any]) -> list[Any]:
    parsed.extend(rows)
    return [("parsed", row["id"]) for row in rows]


def parsed_reads(answers: list[list[dict[str, int]]], cache_bytes: int = 1 << 20) -> list[list[Any]]:
    """The rows get_all_parsed hands out for each answer of a one-page list the peer gives in turn (a cache that
    expires at once, so every read asks the peer)."""
    pages = iter(answers)

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": next(pages), "next_cursor": None})

    async def run() -> list[list[Any]]:
        client = ServiceClient(
            "http://peer",
            lambda: "t",
            peer="tasks_api",
            cache_seconds=0,
            cache_bytes=cache_bytes,
            transport=httpx.MockTransport(answer),
        )
        try:
            return [await client.get_all_parsed("/v1/plans/1/assignments", parse) for _ in answers]
        finally:
            await client.aclose()

    parsed.clear()
    return asyncio.run(run())


def test_an_expired_page_answered_the_same_again_reuses_the_rows_parsed_from_it():
    first, second = parsed_reads([[{"id": 1}, {"id": 2}], [{"id": 1}, {"id": 2}]])
    assert len(parsed) == 2
    assert all(a is b for a, b in zip(first, second, strict=True))


def test_a_page_that_changed_is_parsed_again():
    _, second = parsed_reads([[{"id": 1}, {"id": 2}], [{"id": 1}, {"id": 3}]])
    assert len(parsed) == 4
    assert second == [("parsed", 1), ("parsed", 3)]


def test_a_page_larger_than_the_whole_bound_is_not_kept_and_is_parsed_again():
    first, second = parsed_reads([[{"id": 1}, {"id": 2}], [{"id": 1}, {"id": 2}]], cache_bytes=10)
    assert len(parsed) == 4
    assert first == second


def test_the_pages_kept_are_bounded_by_their_bytes_the_least_recently_used_dropped_first():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": request.url.params["n"]}] * 10})  # 123 bytes each

    async def run() -> list[str]:
        client = ServiceClient(
            "http://peer", lambda: "t", peer="tasks_api", cache_bytes=300, transport=httpx.MockTransport(answer)
        )
        try:
            for n in (1, 2, 1, 3):  # 3 pushes out 2, the least recently used
                await client.get("/v1/units", {"n": n})
            return sorted(str(httpx.URL(url).params["n"]) for url in client.cache._store)
        finally:
            await client.aclose()

    assert asyncio.run(run()) == ["1", "3"]


class Whole:
    """A feed that keeps the answer's bytes whole, as one list of them (a new list for each answer parsed)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self.chunks.append(chunk)

    def finish(self) -> list[bytes]:
        return [b"".join(self.chunks)]


def tagged_reads(etag_now: list[str]) -> tuple[list[Any], list[str | None]]:
    """What get_parsed hands out for each read while the peer's answer has the ETag given in turn (answering 304
    when the client sends it back), and the If-None-Match of each request."""
    tags, sent = iter(etag_now), []

    def answer(request: httpx.Request) -> httpx.Response:
        tag = next(tags)
        sent.append(request.headers.get("if-none-match"))
        if request.headers.get("if-none-match") == tag:
            return httpx.Response(304, headers={"ETag": tag})
        return httpx.Response(200, json={"tag": tag}, headers={"ETag": tag})

    async def run() -> list[Any]:
        client = ServiceClient(
            "http://peer", lambda: "t", peer="tasks_api", cache_seconds=0, transport=httpx.MockTransport(answer)
        )
        try:
            return [(await client.get_parsed("/v1/plans/1/structure", Whole))[1] for _ in etag_now]
        finally:
            await client.aclose()

    return asyncio.run(run()), sent


def test_a_parsed_answer_revalidated_by_304_is_the_very_object_parsed_before():
    reads, sent = tagged_reads(['"a"', '"a"', '"b"'])
    assert sent == [None, '"a"', '"a"']
    assert reads[0] is reads[1]
    assert reads[2] == [b'{"tag":"\\"b\\""}'] and reads[2] is not reads[1]
