"""The latency figures' client (bench/caller.py): answers read whole, refusals raised, a connection the service
closed meanwhile replaced."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from bench.caller import Caller, CallFailed


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept alive unless the handler closes
    connections: ClassVar[set[int]] = set()

    def do_GET(self) -> None:
        _Handler.connections.add(id(self.connection))
        status = 404 if self.path.startswith("/missing") else 200
        body = f"{self.path} {self.headers.get('Authorization')}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        # As a service whose keep-alive ran out: the socket is closed without a word to the client.
        self.close_connection = self.path.startswith("/once")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.connections = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_get_answers_the_whole_body_with_the_query_and_the_callers_headers(server):
    with Caller(server, {"Authorization": "Bearer a"}, timeout=5) as caller:
        answer = caller.get("/v1/search", {"q": "推进", "limit": 20})
    assert answer == b"/v1/search?q=%E6%8E%A8%E8%BF%9B&limit=20 Bearer a"


def test_headers_given_with_a_request_take_the_place_of_the_callers(server):
    with Caller(server, {"Authorization": "Bearer a"}, timeout=5) as caller:
        assert caller.get("/x", {}, {"Authorization": "Bearer b"}) == b"/x Bearer b"
        assert caller.get("/x", {}) == b"/x Bearer a"


def test_requests_in_a_row_share_one_connection(server):
    with Caller(server, {}, timeout=5) as caller:
        for _ in range(3):
            caller.get("/x", {})
    assert len(_Handler.connections) == 1


def test_an_answer_other_than_2xx_is_raised_with_its_status(server):
    with Caller(server, {}, timeout=5) as caller, pytest.raises(CallFailed, match="404"):
        caller.get("/missing", {})


def test_a_connection_the_service_closed_meanwhile_is_replaced(server):
    with Caller(server, {}, timeout=5) as caller:
        caller.get("/once", {})
        assert caller.get("/x", {}) == b"/x None"
