"""The HTTP edge as the services are served (services/common/server.py): slow clients, big heads, many headers."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.common import server
from services.common.server import HeadDeadlineProtocol, edge_config
from services.tasks_api.app import create_app
from tests.conftest import serve_config_in_thread, tasks_settings


@pytest.fixture
def edge(tasks_database, monkeypatch) -> Iterator[str]:
    """tasks_api behind the edge's uvicorn, with a head deadline of one second."""
    monkeypatch.setattr(HeadDeadlineProtocol, "head_timeout", 1.0)
    app = create_app(tasks_settings(tasks_database))
    with serve_config_in_thread(edge_config(app, log_level="warning", limit_concurrency=1000, backlog=512)) as url:
        yield url


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)))


def _trickling(url: str, count: int) -> list[socket.socket]:
    """Connections that send the start of a request head and never finish it."""
    slow = []
    for _ in range(count):
        connection = _connect(url)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        slow.append(connection)
    return slow


def _closed_by_server(connection: socket.socket) -> bool:
    connection.settimeout(5)
    try:
        return connection.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        return False


def test_200_slow_clients_do_not_stop_normal_requests_and_are_closed_after_the_deadline(edge):
    slow = _trickling(edge, 200)
    try:
        started = time.monotonic()
        answers = [httpx.get(f"{edge}/healthz", timeout=5).status_code for _ in range(20)]
        assert answers == [200] * 20
        # Served meanwhile, not after the slow clients' deadline closed them (a bound on the deadline, not on speed).
        assert time.monotonic() - started < server.HEAD_TIMEOUT_SECONDS
        assert all(_closed_by_server(connection) for connection in slow)
    finally:
        for connection in slow:
            connection.close()


def test_a_request_head_over_16_kib_is_refused(edge):
    response = httpx.get(f"{edge}/healthz", headers={"X-Big": "a" * (server.MAX_HEAD_BYTES + 1)}, timeout=5)
    assert response.status_code == 400


def test_more_than_100_headers_is_431_as_a_problem(edge):
    headers = [(f"X-H{i}", "1") for i in range(101)]
    response = httpx.get(f"{edge}/healthz", headers=headers, timeout=5)
    assert response.status_code == 431
    assert response.headers["content-type"] == "application/problem+json"


def test_a_target_over_8_kib_is_414_as_a_problem(edge):
    response = httpx.get(f"{edge}/v1/plans", params={"q": "x" * 9000}, timeout=5)
    assert response.status_code == 414
    assert response.headers["content-type"] == "application/problem+json"


def _answers(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 5 s of silence)."""
    connection.settimeout(5)
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except TimeoutError:
        pass
    return received


def _statuses(connection: socket.socket) -> list[bytes]:
    return re.findall(rb"HTTP/1\.1 (\d{3}) ", _answers(connection))


def test_a_head_over_16_kib_sent_in_pieces_is_refused(edge):
    with _connect(edge) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        for _ in range(server.MAX_HEAD_BYTES // 1000 + 1):
            connection.sendall(b"X-Part: " + b"a" * 990 + b"\r\n")
            time.sleep(0.01)
        assert _answers(connection).startswith(b"HTTP/1.1 400 ")


def test_pipelined_requests_are_answered_in_order(edge):
    with _connect(edge) as connection:
        connection.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        assert _statuses(connection) == [b"200", b"404"]


def test_a_kept_alive_connection_that_trickles_its_next_head_is_closed_after_the_deadline(edge):
    with _connect(edge) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.settimeout(5)
        assert connection.recv(65536).startswith(b"HTTP/1.1 200 ")
        connection.sendall(b"GET /healthz HTTP/1.1\r\n")  # the next head, never finished
        assert _closed_by_server(connection)


async def _slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An app that takes a second to answer each request."""
    if scope["type"] == "http":
        await asyncio.sleep(1.0)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def slow_edge() -> Iterator[str]:
    with serve_config_in_thread(edge_config(_slow, log_level="warning")) as url:
        yield url


def test_a_head_over_16_kib_pipelined_behind_a_request_being_answered_is_refused(slow_edge):
    with _connect(slow_edge) as connection:
        connection.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)  # read on its own: the next head's bytes come in reads of their own
        connection.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\n")
        for _ in range(server.MAX_HEAD_BYTES // 1000 + 1):  # all sent while the first request is answered
            connection.sendall(b"X-Part: " + b"a" * 990 + b"\r\n")
            time.sleep(0.01)
        assert _answers(connection).startswith(b"HTTP/1.1 400 ")


def _big_head(path: bytes) -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * server.MAX_HEAD_BYTES + b"\r\n\r\n"


def _refused_after(first: bytes, statuses: list[bytes]) -> bool:
    """The big head refused, never served: the refusal closes the connection, before or after the request before
    it is answered (`first`)."""
    return statuses in ([b"400"], [first, b"400"])


def test_a_head_over_16_kib_pipelined_in_the_read_of_the_request_before_it_is_refused(edge):
    with _connect(edge) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + _big_head(b"/healthz"))
        assert _refused_after(b"200", _statuses(connection))


def _post(body: bytes) -> bytes:
    return b"POST /v1/plans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(body)


def test_a_head_over_16_kib_pipelined_behind_a_body_in_the_same_read_is_refused(edge):
    with _connect(edge) as connection:
        connection.sendall(_post(b"{}") + b"\r\n{}" + _big_head(b"/healthz"))
        assert _refused_after(b"401", _statuses(connection))


def test_a_body_over_16_kib_after_a_blank_line_cut_between_reads_is_not_counted_as_head(edge):
    body = b'{"title": "' + b"a" * (server.MAX_HEAD_BYTES + 1000) + b'"}'
    with _connect(edge) as connection:
        connection.sendall(_post(body) + b"\r")
        time.sleep(0.2)  # read on its own: the blank line ends in the next read, which holds the body
        connection.sendall(b"\n" + body)
        connection.settimeout(5)
        assert connection.recv(65536).startswith(b"HTTP/1.1 401 ")


def test_pipelined_requests_cut_into_reads_anywhere_are_each_answered_once_in_order(edge):
    requests = [
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
        _post(b'{"a": 1}') + b'\r\n{"a": 1}',
        b"POST /v1/plans HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'3\r\n{"a\r\n5\r\n": 1}\r\n0\r\n\r\n',
        b"GET /nowhere HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 2000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ]
    stream = b"".join(requests)
    for size in (7, 13, 64, 333, 1000, len(stream)):  # pieces ending in request lines, blank lines, bodies, chunks
        with _connect(edge) as connection:
            for start in range(0, len(stream), size):
                connection.sendall(stream[start : start + size])
                time.sleep(0.001)  # each piece a read of its own, most of the time
            assert _statuses(connection) == [b"200", b"401", b"401", b"404", b"200"], size
