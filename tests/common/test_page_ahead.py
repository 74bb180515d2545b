"""A paged read asks for the next page while it reads this one (services/common/page_ahead.py): the peer answers
meanwhile, and a page asked for that the walk does not take is cancelled."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import httpx
import pytest

from services.common.http import ServiceClient
from services.common.page_ahead import Ahead
from tests.conftest import serve_in_thread

PAGES = {"": ([{"id": 1}, {"id": 2}], "p2"), "p2": ([{"id": 3}], "p3"), "p3": ([{"id": 4}], None)}


class Peer:
    """Three pages of a list; each answer names the next page in its body and, unless told not to, in a Link header
    (at `link_to` instead of the body's cursor, given a mapping)."""

    def __init__(self, *, link: bool = True, link_to: dict[str, str] | None = None) -> None:
        self.link, self.link_to = link, link_to or {}
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor", "")
        self.asked.append(cursor)
        rows, following = PAGES[cursor]
        headers = {"ETag": f'"{cursor}"'}
        if self.link and following:
            headers["Link"] = f'<http://peer/v1/rows?cursor={self.link_to.get(following, following)}>; rel="next"'
        return httpx.Response(200, json={"data": rows, "next_cursor": following}, headers=headers)


class Reader:
    """Parses a page, noting how many pages the peer had been asked for by then."""

    def __init__(self, peer: Peer) -> None:
        self.peer, self.asked_by_then = peer, list[int]()

    def page(self, content: bytes) -> Any:
        self.asked_by_then.append(len(self.peer.asked))
        return json.loads(content)


def client(peer: Peer) -> ServiceClient:
    return ServiceClient("http://peer", lambda: "t", peer="tasks_api", transport=httpx.MockTransport(peer))


def revalidated_walk(peer: Peer) -> tuple[list[int], list[int]]:
    """The ids a conditional walk read, and how many pages were asked for as each page was parsed."""
    reader = Reader(peer)

    async def walk() -> list[Any]:
        http = client(peer)
        try:
            return await http.revalidated.rows("/v1/rows", reader, {})
        finally:
            await http.aclose()

    return [row["id"] for row in asyncio.run(walk())], reader.asked_by_then


def test_a_conditional_walk_asks_for_the_page_its_link_names_before_parsing_this_one():
    ids, asked = revalidated_walk(Peer())
    assert ids == [1, 2, 3, 4]
    assert asked == [2, 3, 3]  # the next page already asked for at each parse; none after the last


def test_a_conditional_walk_of_a_peer_that_links_no_page_asks_for_each_in_turn():
    ids, asked = revalidated_walk(Peer(link=False))
    assert ids == [1, 2, 3, 4]
    assert asked == [1, 2, 3]


def test_a_link_that_names_another_page_than_the_body_is_dropped_for_the_body_s_cursor():
    peer = Peer(link_to={"p2": "p3"})
    ids, _ = revalidated_walk(peer)
    assert ids == [1, 2, 3, 4]
    assert peer.asked[:3] == ["", "p3", "p2"]  # the page linked, then the one the body names


async def rows_read(http: ServiceClient, peer: Peer) -> list[tuple[int, int]]:
    """(id, pages asked by then) of each row of a list read a row at a time (each_row)."""
    return [(row["id"], len(peer.asked)) async for row in http.each_row("/v1/rows", list)]


def test_a_list_read_a_row_at_a_time_has_the_next_page_asked_for_while_its_rows_are_read():
    peer = Peer(link=False)  # the body's next_cursor is known before the rows are handed out

    async def read() -> list[tuple[int, int]]:
        http = client(peer)
        try:
            return await rows_read(http, peer)
        finally:
            await http.aclose()

    assert asyncio.run(read()) == [(1, 2), (2, 2), (3, 3), (4, 3)]


def test_a_page_asked_for_ahead_and_never_taken_is_cancelled():
    async def run() -> bool:
        started, never = asyncio.Event(), asyncio.Event()

        async def fetch(cursor: str | None) -> str:
            started.set()
            await never.wait()
            return cursor or ""

        ahead = Ahead(fetch)
        asking = asyncio.ensure_future(ahead.ask("p2"))
        await started.wait()
        pending = ahead._pending
        ahead.drop()
        await asyncio.sleep(0)
        await asking
        return pending is not None and pending[1].cancelled()

    assert asyncio.run(run())


def test_a_walk_cancelled_while_asking_ahead_leaves_no_task_behind():
    async def run() -> set[asyncio.Task[Any]]:
        never = asyncio.Event()

        async def fetch(cursor: str | None) -> str:
            await never.wait()
            return cursor or ""

        ahead = Ahead(fetch)
        asking = asyncio.ensure_future(ahead.ask("p2"))
        await asyncio.sleep(0.01)
        asking.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asking
        ahead.drop()  # as the walk's own cleanup does
        await asyncio.sleep(0.01)
        return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]

    assert asyncio.run(run()) == set()


@pytest.fixture
def held_peer():
    """A peer over real HTTP whose page p2 is answered only once `release` is set."""
    release = threading.Event()

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        cursor = dict(part.split("=") for part in scope["query_string"].decode().split("&") if part).get("cursor", "")
        if cursor == "p2":
            await asyncio.to_thread(release.wait, 10)  # set by the test, on its own thread
        body = json.dumps({"data": PAGES[cursor][0], "next_cursor": PAGES[cursor][1]}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    with serve_in_thread(app) as url:
        yield url, release


def test_asking_ahead_returns_once_the_request_is_written_not_once_it_is_answered(held_peer):
    url, release = held_peer

    async def run() -> Any:
        http = ServiceClient(url, lambda: "t", peer="tasks_api")
        try:
            ahead = Ahead(lambda at: http.get("/v1/rows", {"cursor": at}, cache=False))
            await asyncio.wait_for(ahead.ask("p2"), 5)  # p2 is held: only its request can be done by now
            release.set()
            return await ahead.take("p2")
        finally:
            await http.aclose()

    assert asyncio.run(run())["data"] == [{"id": 3}]
