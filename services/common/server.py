"""How a service is served: uvicorn with the limits of the HTTP edge.

- The request line and headers together fit in `MAX_HEAD_BYTES` (400 beyond it).
- A connection must deliver a request's whole head within `HEAD_TIMEOUT_SECONDS` of connecting, or of its last
  answer on a kept-alive connection, or it is closed: a client that trickles its headers (slowloris) holds one
  socket for seconds, not forever, and never a worker.
- Idle kept-alive connections close after `KEEP_ALIVE_SECONDS`.
The count of headers and the length of the target are bounded by the request guard (services/common/guards.py),
which answers with a problem document.

`python -m services.common.server SERVICE --host H --port P` runs one service (as `duban serve` and compose do).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.common.logs import log_config

MAX_HEAD_BYTES = 16 * 1024
HEAD_TIMEOUT_SECONDS = 10.0
KEEP_ALIVE_SECONDS = 5
_UNREAD = -1  # a body's declared length, not looked up yet


class HeadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (llhttp: the fastest it has; h11 took ~85 µs more CPU a list page), closing a
    connection whose request head does not arrive in time, and refusing one longer than MAX_HEAD_BYTES.

    llhttp bounds no head, so the edge counts every byte of one before the parser sees it: the parser is fed a head
    (up to its blank line), then a body of declared length, at a time, and what follows a request in the same read
    is counted as the next head's, however reads cut or join pipelined requests. Only the end of a chunked body is
    the parser's to find: a head that shares a read with it is counted from the next read on."""

    head_timeout = HEAD_TIMEOUT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._awaiting_head, self._head_bytes, self._head_tail = True, 0, b""  # again after each request's body
        self._body_left: int | None = _UNREAD  # bytes of a declared body still to come (None: chunked)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        while data and not self.transport.is_closing():
            if self._awaiting_head:
                cut = self._head_part(data)
                if self._head_bytes > MAX_HEAD_BYTES:
                    self.send_400_response(f"The request line and headers are longer than {MAX_HEAD_BYTES} bytes.")
                    return
            else:
                cut = self._body_part(data)
            piece, data = (data, b"") if cut >= len(data) else (data[:cut], data[cut:])
            super().data_received(piece)
            if self.transport.get_protocol() is not self:
                return  # upgraded (a WebSocket): the rest of the read is not HTTP, and uvicorn drops it

    def _head_part(self, data: bytes) -> int:
        """How many of `data`'s bytes belong to the head awaited (all, or up to its blank line, which may have begun
        in the read before), counted against the limit."""
        end = data.find(b"\r\n\r\n")
        cut = len(data) if end < 0 else end + 4
        if self._head_tail:
            joined = (self._head_tail + data[:3]).find(b"\r\n\r\n")
            if joined >= 0:
                cut = joined + 4 - len(self._head_tail)
        self._head_tail = (self._head_tail + data[-3:])[-3:] if cut == len(data) else b""
        self._head_bytes += cut
        return cut

    def _body_part(self, data: bytes) -> int:
        """How many of `data`'s bytes belong to the body being received: up to its declared end, or all (chunked).
        Looked up at its first byte: a request without a body (a GET) never pays for it."""
        if self._body_left == _UNREAD:
            self._body_left = _declared_length(self.headers)
        if self._body_left is None:
            return len(data)
        cut, self._body_left = self._body_left, max(self._body_left - len(data), 0)
        return cut or len(data)  # a body longer than declared is the parser's to refuse

    def on_message_complete(self) -> None:
        # What follows a request's body is the next head, counted even while this request is answered (pipelined).
        self._awaiting_head, self._head_bytes, self._head_tail = True, 0, b""
        super().on_message_complete()

    def on_headers_complete(self) -> None:
        self._awaiting_head, self._body_left = False, _UNREAD
        if self._head_deadline is not None:
            self._head_deadline.cancel()  # the head is in: the body and the answer have their own limits
            self._head_deadline = None
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # starts the next pipelined request, if one's head is in already
        if not self.transport.is_closing() and self.cycle.response_complete:
            self._arm_head_deadline()  # the next request on this connection gets its own deadline

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        self._head_deadline = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self._awaiting_head and not self.transport.is_closing():
            self.transport.close()


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The body's Content-Length, when one plain number is declared (llhttp refuses a request with any other)."""
    lengths = [value for name, value in headers if name == b"content-length"]
    return int(lengths[0]) if len(lengths) == 1 and lengths[0].isdigit() else None


def edge_config(app: Any, **options: Any) -> uvicorn.Config:
    """A uvicorn configuration with the edge's limits (tests pass the app itself, production an import string)."""
    return uvicorn.Config(
        app,
        http=HeadDeadlineProtocol,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        **options,
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line of one service's process (compose.yaml and deploy/kubernetes/ are tested against it)."""
    parser = argparse.ArgumentParser(description="Serve one duban service with the HTTP edge's limits.")
    parser.add_argument("service", choices=["tasks_api", "reporting_api", "notify_api"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    return parser


def serve(config: uvicorn.Config) -> None:
    """Serve until stopped. SIGTERM or SIGINT (Ctrl-C) stop the server gracefully; uvicorn then raises the signal it
    caught again, and a SIGINT raised so is a KeyboardInterrupt, which uvicorn.run() swallows and Server.run() does
    not: the process ends quietly with status 0, not with a traceback an operator would take for a crash."""
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run()


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    serve(
        edge_config(
            f"services.{args.service}.app:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            log_config=log_config(args.service, args.log_level),  # JSON lines (services/common/logs.py)
            access_log=False,  # services/common/observe.py writes the access line, with the request id and route
        )
    )


if __name__ == "__main__":
    main()
