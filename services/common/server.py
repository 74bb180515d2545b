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


class HeadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol (llhttp: the fastest it has; h11 took ~85 µs more CPU a list page), closing a
    connection whose request head does not arrive in time, and refusing one longer than MAX_HEAD_BYTES."""

    head_timeout = HEAD_TIMEOUT_SECONDS

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._awaiting_head, self._head_bytes = True, 0  # then again after each request's body (on_message_complete)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            # The bytes of a head still arriving (of a read that ends it: up to its blank line; what that read holds
            # of a pipelined head after it is not counted, so such a head may pass the limit by at most one read).
            end = data.find(b"\r\n\r\n")
            self._head_bytes += len(data) if end < 0 else end + 4
            if self._head_bytes > MAX_HEAD_BYTES:
                self.send_400_response(f"The request line and headers are longer than {MAX_HEAD_BYTES} bytes.")
                return
        super().data_received(data)

    def on_message_complete(self) -> None:
        # What follows a request's body is the next head, counted even while this request is answered (pipelined).
        self._awaiting_head, self._head_bytes = True, 0
        super().on_message_complete()

    def on_headers_complete(self) -> None:
        self._awaiting_head = False
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
