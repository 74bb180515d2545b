"""The deliverer's connection stream: a request goes out in one send, and a connection its server closed is seen as
closed before it is reused."""

from __future__ import annotations

import asyncio
import socket

import httpcore

from services.notify_api.deliveries.channels.streams import FLUSH_BYTES, CoalescingStream


class RecordingStream(httpcore.AsyncNetworkStream):
    """Records each send; answers every read with a canned response."""

    def __init__(self, sock: socket.socket | None = None) -> None:
        self.sent: list[bytes] = []
        self.sock = sock

    async def write(self, buffer, timeout=None):  # noqa: ASYNC109 - httpcore's signature
        self.sent.append(buffer)

    async def read(self, max_bytes, timeout=None):  # noqa: ASYNC109 - httpcore's signature
        return b"HTTP/1.1 204 No Content\r\n\r\n"

    async def aclose(self):
        pass

    def get_extra_info(self, info):
        return self.sock if info == "socket" else None


def test_a_request_written_in_parts_goes_out_in_one_send_when_its_answer_is_read():
    inner = RecordingStream()
    stream = CoalescingStream(inner)

    async def exchange():
        await stream.write(b"POST /hooks/unit-1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n")
        await stream.write(b"{}")
        assert inner.sent == []  # held: the receiver cannot answer before it has the whole request
        return await stream.read(65536)

    assert asyncio.run(exchange()).startswith(b"HTTP/1.1 204")
    assert inner.sent == [b"POST /hooks/unit-1 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}"]


def test_a_large_body_is_sent_as_it_comes_not_held_whole():
    inner = RecordingStream()
    stream = CoalescingStream(inner)
    asyncio.run(stream.write(b"x" * FLUSH_BYTES))
    assert [len(part) for part in inner.sent] == [FLUSH_BYTES]


def test_an_idle_connection_its_server_closed_is_seen_as_closed_and_a_kept_alive_one_is_not():
    ours, theirs = socket.socketpair()
    try:
        stream = CoalescingStream(RecordingStream(ours))
        assert stream.get_extra_info("is_readable") is False  # kept alive: reusable
        theirs.close()
        assert stream.get_extra_info("is_readable") is True  # the server hung up: httpcore drops it
    finally:
        ours.close()
