"""The client the latency figures (roll-up, compliance, search) time their requests with: the standard library's
http.client on one kept-alive connection, as thin a client as wrk is for the lists.

A latency sample is timed from the client's side, so what the client library does is timed with the service.
httpx's sync client (request and response models, URL and header objects, its transport layers) adds about 0.6 ms
to each request; http.client adds a few hundredths. Measured 2026-12-07, compliance of plan 2 recomputed, four
rounds of 200 samples, each sample's three calls taking turns: through httpx p50 3.25-3.89 ms, through http.client
2.75-3.17 ms, the hand SQL 2.57-2.81 ms (p95 ratios 1.17-1.35× against 0.99-1.17×). The hand SQL baselines run in
the bench's process through asyncpg, whose own work is in them; the service's side now carries a client's work of
the same weight. Until 2026-12-07 these figures were timed through httpx.
"""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from types import TracebackType
from urllib.parse import urlencode, urlsplit

# What a kept-alive connection the service closed meanwhile (its keep-alive is 5 s: services/common/server.py)
# raises at the next request; a GET is then sent again on a new connection.
_STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class CallFailed(RuntimeError):
    """A request answered with anything but 2xx."""


class Caller:
    """GET requests to one service on one kept-alive connection, each answer read whole."""

    def __init__(self, base_url: str, headers: Mapping[str, str], *, timeout: float) -> None:
        parts = urlsplit(base_url)
        self.headers = dict(headers)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)

    def get(self, path: str, params: Mapping[str, object], headers: Mapping[str, str] | None = None) -> bytes:
        """The body of GET `path` with these query parameters (and headers over the caller's); CallFailed unless
        the answer is 2xx."""
        target = f"{path}?{urlencode(params)}" if params else path
        sent = {**self.headers, **headers} if headers else self.headers
        try:
            status, body = self._exchange(target, sent)
        except _STALE:
            self.connection.close()
            status, body = self._exchange(target, sent)
        if not 200 <= status < 300:
            raise CallFailed(f"GET {target} answered {status}: {body[:300]!r}")
        return body

    def _exchange(self, target: str, headers: Mapping[str, str]) -> tuple[int, bytes]:
        self.connection.request("GET", target, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Caller:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
