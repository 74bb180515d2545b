"""The deliverer's connection stream: httpcore's own, with two savings on the path every delivery takes.

- A request goes out in one send: httpcore writes a request's head and its body apart, two system calls and two
  wake-ups of the receiver for a webhook of a few hundred bytes. Writes are held until the answer is first read
  (the receiver cannot answer before it has the whole request anyway) or until FLUSH_BYTES are held.
- Whether an idle pooled connection was closed by its server is asked of its socket directly. httpcore asks it of
  every pooled connection each time a request is queued or done, and the anyio stream builds every attribute of
  its socket (two system calls) to answer.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

import httpcore
from httpcore._utils import is_socket_readable  # the check httpcore's own backends make, to answer alike

FLUSH_BYTES = 64 * 1024  # a larger body is sent as it comes, so that a request never sits whole in memory twice


class CoalescingStream(httpcore.AsyncNetworkStream):
    def __init__(self, stream: httpcore.AsyncNetworkStream) -> None:
        self._stream = stream
        # The socket as the event loop lends it (asyncio's TransportSocket), or None for a stream without one.
        self._socket: socket.socket | None = stream.get_extra_info("socket")
        self._held: list[bytes] = []
        self._held_bytes = 0
        self._write_timeout: float | None = None

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109 - httpcore's signature
        self._held.append(buffer)
        self._held_bytes += len(buffer)
        self._write_timeout = timeout
        if self._held_bytes >= FLUSH_BYTES:
            await self._flush()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109 - httpcore's signature
        await self._flush()
        return await self._stream.read(max_bytes, timeout)

    async def _flush(self) -> None:
        if not self._held:
            return
        data = b"".join(self._held)
        self._held.clear()
        self._held_bytes = 0
        await self._stream.write(data, self._write_timeout)

    async def aclose(self) -> None:
        self._held.clear()
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
    ) -> httpcore.AsyncNetworkStream:
        await self._flush()
        return CoalescingStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self._socket is not None:
            return is_socket_readable(self._socket)
        return self._stream.get_extra_info(info)
