"""Our outgoing HTTP keeps no cookies: a peer or a recipient that sets one never gets it back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine

import httpx
import pytest

from services.common.cookieless import CookielessClient
from services.common.http import ServiceClient

SETS_A_COOKIE = {"Set-Cookie": "session=abc; Path=/"}


def _cookie_headers(calls: int, send: Callable[[httpx.MockTransport], Coroutine[None, None, None]]) -> list[str | None]:
    """The Cookie header of each of `calls` requests `send` makes through a transport whose every answer sets one."""
    seen: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        return httpx.Response(200, json={"data": [], "next_cursor": None}, headers=SETS_A_COOKIE)

    asyncio.run(send(httpx.MockTransport(answer)))
    assert len(seen) == calls
    return seen


def test_a_cookie_an_answer_sets_is_not_sent_with_the_next_request():
    async def send(transport: httpx.MockTransport) -> None:
        async with CookielessClient(transport=transport, base_url="http://peer") as client:
            await client.get("/a")
            await client.get("/b")
            assert not client.cookies

    assert _cookie_headers(2, send) == [None, None]


def test_a_peer_that_sets_a_cookie_is_never_sent_it_back():
    async def send(transport: httpx.MockTransport) -> None:
        client = ServiceClient("http://peer", lambda: "t", peer="tasks_api", cache_seconds=0, transport=transport)
        try:
            await client.get("/v1/plans/1")
            await client.get("/v1/plans/2")
        finally:
            await client.aclose()

    assert _cookie_headers(2, send) == [None, None]


def test_cookies_cannot_be_given_to_the_client():
    client = CookielessClient()
    with pytest.raises(TypeError):
        client.cookies = {"session": "abc"}
    asyncio.run(client.aclose())
