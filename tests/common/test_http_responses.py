"""A closed httpx response goes with its last reference, not at the next full collection (services/common/
http_responses.py): the peer calls, the deliveries and the gateway leave no response to the collector."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import httpx

from services.common.contracts.sliced import ChunkedDocument
from services.common.http import ServiceClient
from services.common.http_responses import unbound
from services.common.peer_records import PeerRecord
from services.notify_api.deliveries.channels.http import post
from services.notify_api.settings import NotifySettings

BODY = {"data": [{"id": n, "name": f"row {n}"} for n in range(200)], "next_cursor": None}


def answering(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=BODY)


@contextmanager
def collector_off() -> Iterator[list[object]]:
    """No collection runs inside; at the end, one that keeps what it found unreachable, for the test to read."""
    gc.collect()
    gc.disable()
    found: list[object] = []
    try:
        yield found
    finally:
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found += gc.garbage
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()


def responses_left(calls: Callable[[], Awaitable[object]]) -> int:
    """How many httpx responses the calls left for a collection to free."""
    with collector_off() as garbage:
        asyncio.run(calls())
    return sum(isinstance(found, httpx.Response) for found in garbage)


async def fetched(*, unbind: bool) -> weakref.ref[httpx.Response]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(answering), base_url="http://peer") as client:
        response = await client.get("/rows")
        return weakref.ref(unbound(response) if unbind else response)


def test_a_closed_response_unbound_is_freed_with_its_last_reference():
    with collector_off():
        assert asyncio.run(fetched(unbind=True))() is None


def test_a_closed_response_left_as_httpx_makes_it_waits_for_a_collection():
    with collector_off():
        left = asyncio.run(fetched(unbind=False))
        assert left() is not None  # httpx's cycle: why unbound exists
    assert left() is None


class Row(PeerRecord):
    peer = "peer"
    id: int
    name: str


class Rows(PeerRecord):
    peer = "peer"
    data: list[Row]


def a_peer() -> ServiceClient:
    return ServiceClient("http://peer", lambda: "token", peer="peer", transport=httpx.MockTransport(answering))


async def peer_calls() -> None:
    client = a_peer()
    try:
        await client.get("/rows", cache=False)
        await client.get_parsed("/rows", lambda: ChunkedDocument(Rows, ("data",)), cache=False)
    finally:
        await client.aclose()


def test_a_peer_call_read_whole_or_fed_to_its_parser_leaves_no_response_to_the_collector():
    assert responses_left(peer_calls) == 0


async def delivered() -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(answering)) as http:
        settings = NotifySettings(environment="test")
        for _ in range(3):
            await post(http, settings, "http://receiver.example/hook", content=b"{}", headers={})


def test_a_delivery_leaves_no_response_to_the_collector():
    assert responses_left(delivered) == 0
