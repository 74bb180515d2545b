"""One origin for the three services: `duban serve` answers at http://127.0.0.1:8000 with each service under its
prefix (/tasks, /reporting, /notify) and a landing page linking their docs; each service keeps its own port.

A small reverse proxy over httpx (a dependency already), streaming both ways: a 100 MB ledger export or plan upload
passes through in chunks, never whole in memory. The services are unaware of their prefix, so what names a place on
the way back is rewritten: `Location` and `Content-Location` (`/v1/...`) and each URI of `Link` (the next page, built
by the service from the Host the gateway passes on). `X-Forwarded-Prefix` tells a service's docs where they are
(services/common/docs.py). A service that does not answer gives a 502 problem document, one too slow a 504.
Production puts nginx in front instead, with the same routing (deploy/nginx/duban.conf.template).

`python -m services.gateway --upstream tasks_api=http://127.0.0.1:8001 ...` runs it (as `duban serve` does).
"""

from __future__ import annotations

import argparse
import html
import re
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass

import httpx
from starlette.responses import HTMLResponse, Response
from starlette.types import Message, Receive, Scope, Send

from services.common.http_responses import unbound
from services.common.language import LanguageMiddleware
from services.common.problems import problem_response
from services.common.server import edge_config, serve

PREFIXES = {"tasks_api": "/tasks", "reporting_api": "/reporting", "notify_api": "/notify"}
CONNECT_TIMEOUT_SECONDS = 2.0
# A request may wait on a batch job up to JOB_WAIT_SECONDS (300 s) before the service itself answers 503.
READ_TIMEOUT_SECONDS = 310.0
RETRY_AFTER_SECONDS = "5"
# RFC 9110 §7.6.1: meaningful for one connection only, never forwarded (nor the headers `Connection` names).
HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)
_REWRITTEN = frozenset({b"location", b"content-location"})
_LINK_TARGET = re.compile(r"<([^>]*)>")
_ABSOLUTE = re.compile(r"^(?P<origin>[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)(?P<rest>.*)$")

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Upstream:
    """A service behind the gateway: its name, the prefix it answers under, and where it listens."""

    name: str
    prefix: str
    url: str


class Gateway:
    """The ASGI app of the one origin."""

    def __init__(
        self,
        upstreams: Sequence[Upstream],
        *,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.upstreams = tuple(upstreams)
        timeout = httpx.Timeout(read_timeout, connect=CONNECT_TIMEOUT_SECONDS)
        # No pool limit of its own: each service bounds its own concurrency; the gateway must not queue in front.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=100)
        self.client = httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport, follow_redirects=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return  # no WebSocket route exists behind it
        path: str = scope["path"]
        if path in ("/", "/index.html"):
            await landing_page(self.upstreams)(scope, receive, send)
            return
        if path == "/healthz":
            await Response(b'{"status":"ok"}', media_type="application/json")(scope, receive, send)
            return
        for upstream in self.upstreams:
            if path == upstream.prefix or path.startswith(upstream.prefix + "/"):
                await self._proxy(upstream, scope, receive, send)
                return
        detail = f"No service at {path}; the services are under {', '.join(u.prefix for u in self.upstreams)}."
        await problem_response(404, detail, slug="not-found", instance=path)(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _proxy(self, upstream: Upstream, scope: Scope, receive: Receive, send: Send) -> None:
        host = _header(scope["headers"], b"host")
        request = self.client.build_request(
            scope["method"],
            _target(upstream, scope),
            headers=_request_headers(scope, upstream.prefix),
            content=_body(receive) if _has_body(scope["headers"]) else None,
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException:
            await _unavailable(504, f"{upstream.name} did not answer in time.", scope, receive, send)
            return
        except httpx.TransportError:
            await _unavailable(502, f"{upstream.name} is not answering; try again shortly.", scope, receive, send)
            return
        try:
            headers = _response_headers(response.headers.raw, upstream.prefix, host)
            await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
            # Raw bytes, as the service encoded them: its Content-Length and Content-Encoding stay true.
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()
            unbound(response)


def _target(upstream: Upstream, scope: Scope) -> httpx.URL:
    """The service's URL for this request: the path without the prefix, percent-encoding and query as sent."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    rest = raw_path[len(upstream.prefix) :] or b"/"
    query: bytes = scope.get("query_string", b"")
    return httpx.URL(upstream.url + rest.decode("latin-1") + ("?" + query.decode("latin-1") if query else ""))


def _connection_scoped(headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    named = {
        token.strip().lower() for name, value in headers if name.lower() == b"connection" for token in value.split(b",")
    }
    return HOP_BY_HOP | named


def _request_headers(scope: Scope, prefix: str) -> Headers:
    """The caller's headers (Host included: the service builds its links from it), less the hop-by-hop ones, with
    the X-Forwarded-* a proxy adds; a caller's own X-Forwarded-Prefix is replaced, never believed."""
    raw: Headers = scope["headers"]
    dropped = _connection_scoped(raw) | {b"x-forwarded-prefix", b"x-forwarded-for", b"x-forwarded-proto"}
    headers = [(name, value) for name, value in raw if name.lower() not in dropped]
    client = scope.get("client")
    forwarded_for = _header(raw, b"x-forwarded-for")
    peer = client[0] if client else "unknown"
    headers.append((b"x-forwarded-for", f"{forwarded_for}, {peer}".encode() if forwarded_for else peer.encode()))
    headers.append((b"x-forwarded-proto", scope.get("scheme", "http").encode()))
    headers.append((b"x-forwarded-prefix", prefix.encode()))
    return headers


def _response_headers(raw: Iterable[tuple[bytes, bytes]], prefix: str, host: str) -> Headers:
    """The service's headers for the caller: hop-by-hop ones dropped, the places they name moved under the prefix."""
    raw = list(raw)
    # The gateway's uvicorn writes its own Date and no Server: one of each, not the service's as well.
    dropped = _connection_scoped(raw) | {b"date", b"server"}
    headers: Headers = []
    for name, value in raw:
        lowered = name.lower()
        if lowered in dropped:
            continue
        if lowered in _REWRITTEN:
            value = under_prefix(value.decode("latin-1"), prefix, host).encode("latin-1")
        elif lowered == b"link":
            text = value.decode("latin-1")
            value = _LINK_TARGET.sub(lambda m: f"<{under_prefix(m[1], prefix, host)}>", text).encode("latin-1")
        headers.append((lowered, value))
    return headers


def under_prefix(reference: str, prefix: str, host: str) -> str:
    """A URI reference from a service, as the caller must follow it: `/v1/x` and `http://<host>/v1/x` move under
    the prefix; a relative one (`?cursor=`) already resolves under it, and another host's URL is left alone."""
    if reference.startswith("/") and not reference.startswith("//"):
        return prefix + reference
    absolute = _ABSOLUTE.match(reference)
    if absolute and absolute["origin"].split("://", 1)[1] == host and absolute["rest"].startswith("/"):
        return absolute["origin"] + prefix + absolute["rest"]
    return reference


def _header(headers: Iterable[tuple[bytes, bytes]], wanted: bytes) -> str:
    return next((value.decode("latin-1") for name, value in headers if name.lower() == wanted), "")


def _has_body(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() in (b"content-length", b"transfer-encoding") for name, _ in headers)


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as it arrives, chunk by chunk (the service's guard bounds its size)."""
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk: bytes = message.get("body", b"")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def _unavailable(status: int, detail: str, scope: Scope, receive: Receive, send: Send) -> None:
    slug = "bad-gateway" if status == 502 else "gateway-timeout"
    headers = {"Retry-After": RETRY_AFTER_SECONDS}
    await problem_response(status, detail, slug=slug, headers=headers, instance=scope["path"])(scope, receive, send)


def landing_page(upstreams: Sequence[Upstream]) -> HTMLResponse:
    """The page at `/`: each service's interactive docs, reference and contract under this one origin."""
    rows = "\n".join(
        f"<li><strong>{html.escape(u.name)}</strong> ({html.escape(u.prefix)}): "
        f'<a href="{html.escape(u.prefix)}/docs">Swagger UI</a> · '
        f'<a href="{html.escape(u.prefix)}/redoc">ReDoc</a> · '
        f'<a href="{html.escape(u.prefix)}/openapi.json">openapi.json</a></li>'
        for u in upstreams
    )
    page = (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>duban 督办</title></head>'
        f"<body><h1>duban 督办</h1><p>The three services, each under its prefix:</p><ul>\n{rows}\n</ul></body></html>"
    )
    return HTMLResponse(page)


def parse_upstream(text: str) -> Upstream:
    name, _, url = text.partition("=")
    if name not in PREFIXES or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected SERVICE=URL with SERVICE one of {', '.join(PREFIXES)}: {text!r}")
    return Upstream(name, PREFIXES[name], url.rstrip("/"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the three duban services behind one origin.")
    parser.add_argument("--upstream", type=parse_upstream, action="append", required=True, help="SERVICE=URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)
    config = edge_config(
        LanguageMiddleware(Gateway(args.upstream)),  # its own problems in the caller's language, as the services'
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        server_header=False,
        # The services judge X-Forwarded-* only from the loopback; the gateway keeps the caller's address itself.
        proxy_headers=False,
    )
    serve(config)


if __name__ == "__main__":
    main()
