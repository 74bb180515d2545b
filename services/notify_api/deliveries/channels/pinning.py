"""The SSRF guard where it cannot be dodged: at connect time, on the addresses actually connected to.

Checking a webhook host by resolving it and then letting the HTTP client connect by name leaves a gap: the
name can re-bind between the two lookups (DNS rebinding), so the check passes on a public address and the
connection lands on 127.0.0.1 or the metadata service. Here the deliverer's HTTP client connects through
`GuardedBackend`, which resolves the host once, refuses it if any address is not public (unless private
targets are allowed, as outside production), and connects to those same checked addresses. The URL keeps
the name, so the Host header, TLS SNI, certificate verification and the connection pool still use it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable

import httpcore
import httpx

from services.notify_api.contacts.targets import is_public_address
from services.notify_api.deliveries.channels.streams import CoalescingStream

Resolver = Callable[[str, int], Awaitable[list[str]]]


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses as the system resolver orders them (a literal address resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in infos))  # an IP family's sockaddr starts with a str


class TargetRefused(httpcore.ConnectError):
    """The target resolves to a loopback, private or link-local address (SSRF guard): refused for good."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to addresses it resolved and checked itself, never to a name."""

    def __init__(
        self,
        *,
        private_allowed: bool,
        resolver: Resolver | None = None,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.private_allowed = private_allowed
        self.resolver = resolver
        self.backend = backend or httpcore.AnyIOBackend()

    async def checked_addresses(self, host: str, port: int) -> list[str]:
        try:
            addresses = await (self.resolver or resolve)(host, port)
        except OSError as exc:  # DNS may come back: a transient failure, retried on the schedule
            raise httpcore.ConnectError(f"Cannot resolve {host}: {exc}.") from exc
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address.")
        refused = [a for a in addresses if not is_public_address(ipaddress.ip_address(a.partition("%")[0]))]
        if refused and not self.private_allowed:
            raise TargetRefused(
                f"The target {host} resolves to {refused[0]}, a loopback, private or link-local "
                "address; refused (SSRF guard)."
            )
        return addresses

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore.AsyncNetworkBackend's signature
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception | None = None
        for address in await self.checked_addresses(host, port):  # in order, as a client by name would try them
            try:
                stream = await self.backend.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
                return CoalescingStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # checked_addresses never returns an empty list
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore.AsyncNetworkBackend's signature
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise TargetRefused("Unix sockets are not delivery targets.")

    async def sleep(self, seconds: float) -> None:
        await self.backend.sleep(seconds)


# httpcore's failures as httpx names them, most specific first (the order of httpx's own mapping).
_HTTPX_ERRORS: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.ProxyError, httpx.ProxyError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
)


_CORE_ERRORS = tuple(core for core, _ in _HTTPX_ERRORS)


def _as_httpx(exc: Exception) -> httpx.TransportError:
    """The httpx error for an httpcore one (raised `from` it, so `refused_by_guard` can see the guard's verdict)."""
    return next(mapped for core, mapped in _HTTPX_ERRORS if isinstance(exc, core))(str(exc))


class _Body(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except _CORE_ERRORS as exc:
            raise _as_httpx(exc) from exc

    async def aclose(self) -> None:
        closer = getattr(self._stream, "aclose", None)
        if closer is not None:
            await closer()


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport over httpcore's public connection pool, which connects through `GuardedBackend`."""

    def __init__(self, backend: GuardedBackend) -> None:
        self.pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=backend,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, AsyncIterable)  # an AsyncClient's request always streams asynchronously
        url = httpcore.URL(
            scheme=request.url.raw_scheme, host=request.url.raw_host, port=request.url.port, target=request.url.raw_path
        )
        core = httpcore.Request(
            method=request.method,
            url=url,
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self.pool.handle_async_request(core)
        except _CORE_ERRORS as exc:
            raise _as_httpx(exc) from exc
        assert isinstance(response.stream, AsyncIterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Body(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.pool.aclose()


def refused_by_guard(exc: httpx.HTTPError) -> bool:
    """Whether a failed request was refused by the SSRF guard (permanent) rather than by the network."""
    return isinstance(exc.__cause__, TargetRefused)
