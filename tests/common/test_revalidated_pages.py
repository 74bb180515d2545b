"""Conditional reads of a peer's paged list (services/common/revalidated.py): every page is asked for again with
its ETag, and a page the peer answers 304 is the rows parsed before, not parsed again."""

import asyncio
import json
from typing import Any

import httpx
import pytest

from services.common.http import ServiceClient
from services.common.problems import ProblemError

ROWS = {"": [{"id": 1}, {"id": 2}], "p2": [{"id": 3}]}  # two pages: the first, then the one at cursor p2


class Peer:
    """A paged list with an ETag per page (its version), answering 304 to the current one."""

    def __init__(self, *, tagged: bool = True) -> None:
        self.version = {"": 1, "p2": 1}
        self.tagged = tagged
        self.sent: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor", "")
        tag = f'"{cursor}-{self.version[cursor]}"'
        self.sent.append(request.headers.get("if-none-match"))
        if self.tagged and request.headers.get("if-none-match") == tag:
            return httpx.Response(304, headers={"ETag": tag})
        rows = [{**row, "v": self.version[cursor]} for row in ROWS[cursor]]
        body = {"data": rows, "next_cursor": "p2" if cursor == "" else None}
        return httpx.Response(200, json=body, headers={"ETag": tag} if self.tagged else {})


class Reader:
    """Reads a page's bytes (as PeerRows does), counting the pages it read."""

    def __init__(self) -> None:
        self.read = 0

    def page(self, content: bytes) -> Any:
        self.read += 1
        return json.loads(content)


def reads(peer: Peer, times: int, between: Any = None, **client: Any) -> tuple[list[list[Any]], int, int]:
    """Each read's rows, how many pages were parsed, and how many answered 304."""
    reader = Reader()

    async def run() -> tuple[list[list[Any]], int]:
        http = ServiceClient(
            "http://peer", lambda: "t", peer="tasks_api", transport=httpx.MockTransport(peer), **client
        )
        try:
            found = []
            for n in range(times):
                if between and n:
                    between()
                found.append(await http.revalidated.rows("/v1/deadlines", reader, {"from": "2024-01-01", "to": None}))
            return found, http.revalidated.not_modified
        finally:
            await http.aclose()

    found, not_modified = asyncio.run(run())
    return found, reader.read, not_modified


def test_a_second_read_revalidates_every_page_and_hands_out_the_rows_parsed_before():
    peer = Peer()
    (first, second), parsed, not_modified = reads(peer, 2)
    assert [row["id"] for row in first] == [1, 2, 3]
    assert all(a is b for a, b in zip(first, second, strict=True))  # the very rows
    assert (parsed, not_modified) == (2, 2)
    assert peer.sent == [None, None, '"-1"', '"p2-1"']


def test_a_changed_page_is_read_whole_and_parsed_again_the_others_kept():
    peer = Peer()

    def change_the_second_page() -> None:
        peer.version["p2"] = 2

    (first, second), parsed, not_modified = reads(peer, 2, change_the_second_page)
    assert [row["v"] for row in second] == [1, 1, 2]
    assert second[0] is first[0] and second[2] is not first[2]
    assert (parsed, not_modified) == (3, 1)


def test_a_peer_without_etags_is_parsed_every_time_and_nothing_is_kept():
    peer = Peer(tagged=False)
    _, parsed, not_modified = reads(peer, 2)
    assert (parsed, not_modified) == (4, 0)
    assert peer.sent == [None] * 4


def test_the_pages_kept_are_bounded_by_their_bytes():
    _, parsed, not_modified = reads(Peer(), 2, cache_bytes=10)  # no page fits: each read is a whole one
    assert (parsed, not_modified) == (4, 0)


def test_a_304_to_an_unconditional_read_is_the_peers_fault():
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(304, headers={"ETag": '"a"'})

    with pytest.raises(ProblemError) as refused:
        reads(answer, 1)  # type: ignore[arg-type]
    assert refused.value.status == 503


def test_every_page_asked_for_is_counted_and_those_answered_304_among_them():
    peer, reader = Peer(), Reader()  # one reader: the walks kept are the reader's own

    async def run() -> tuple[int, int]:
        http = ServiceClient("http://peer", lambda: "t", peer="tasks_api", transport=httpx.MockTransport(peer))
        try:
            for _ in range(2):
                await http.revalidated.rows("/v1/deadlines", reader, {"from": "2024-01-01"})
            return http.revalidated.asked, http.revalidated.not_modified
        finally:
            await http.aclose()

    assert asyncio.run(run()) == (4, 2)
