"""An httpx response once it is closed: out of the reference cycle httpx makes with its stream.

httpx (0.28, 0.29) binds a response's stream back to the response, to set `elapsed` when the stream closes, so every
response is in a cycle and only the collector frees it, its body with it: at the next young collection, or, once it
outlived one (a large page's parse makes many), at a collection of an older generation. The services' peer pages (a
dispatch reads ~57 pages, ~85 MB of JSON, on a worker whose collector a batch pauses), the deliveries' answers
(thousands a second) and the gateway's proxied answers all waited for the collector. Cut the cycle once the response
is closed and it goes with its last reference (encode/httpx#3733 and pydantic/httpx2#948 remove the cycle upstream).
"""

from __future__ import annotations

import httpx

_CLOSED = httpx.ByteStream(b"")  # the stream a closed response is left with: empty, never read again


def unbound(response: httpx.Response) -> httpx.Response:
    """`response` (closed: its body read, fed or streamed on) without its stream's back reference."""
    response.stream = _CLOSED
    return response
