"""A transport that puts faults between a service and its peer: refused, slow, failing, garbled."""

from __future__ import annotations

import asyncio

import httpx


class FaultyTransport(httpx.AsyncBaseTransport):
    """Forwards to the real peer unless a fault is set: 'refuse', 'slow', 'error' (500) or 'garble'."""

    def __init__(self, slow_seconds: float = 10.0) -> None:
        self.fault: str | None = None
        self.calls = 0
        self._slow_seconds = slow_seconds
        self._real = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.fault == "refuse":
            raise httpx.ConnectError("connection refused", request=request)
        if self.fault == "slow":
            await asyncio.sleep(self._slow_seconds)
        if self.fault == "error":
            return httpx.Response(500, json={"title": "boom"}, request=request)
        if self.fault == "garble":
            return httpx.Response(200, content=b'{"id": 1, "plan', headers={"content-type": "application/json"},
                                  request=request)
        return await self._real.handle_async_request(request)

    async def aclose(self) -> None:
        await self._real.aclose()
