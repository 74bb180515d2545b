"""A next-page link starts with the URL Starlette gives the request, whether it is written from the scope (a plain
Host header and path) or through Starlette's URL (anything else)."""

from __future__ import annotations

from typing import NoReturn

import pytest
from fastapi import Request

from services.common.pagination import next_page_url


def request_to(path: str, host: bytes | None, scheme: str = "http", query: bytes = b"limit=2") -> Request:
    headers = [(b"host", host)] if host is not None else []
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": scheme,
        "server": ("10.0.0.5", 8000),
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"accept", b"*/*"), *headers],
    }
    return Request(scope)


@pytest.mark.parametrize(
    ("path", "host", "scheme"),
    [
        ("/v1/plans/1/items", b"tasks.example", "http"),
        ("/v1/plans/1/items", b"tasks.example:8080", "https"),
        ("/v1/plans/1/items", b"127.0.0.1:80", "http"),
        ("/v1/reports", b"TASKS.Example", "http"),
        ("/v1/reports", None, "http"),
        ("/v1/reports", b"[::1]:8000", "http"),
        ("/v1/reports", b"bad host", "http"),
        ("/v1/reports", b"tasks.example:99999", "http"),
        ("/v1/reports", b"127.0.0.1:51601", "http"),
        ("/v1/reports", b"127.0.0.1:65535", "http"),
        ("/v1/reports", b"127.0.0.1:65536", "http"),
        ("/v1/reports", b"127.0.0.1:70000", "http"),
        ("/v1/reports", b"127.0.0.1:0", "http"),
        ("/v1/reports", b"127.0.0.1:", "http"),
        ("/v1/reports", b"tasks.example:0080", "http"),
        ("//v1/reports", b"tasks.example", "http"),
        ("/v1/r%C3%A9ports", b"tasks.example", "http"),
        ("/v1/r\u00e9ports?#", b"tasks.example", "http"),
        ("/v1/reports\\x", b"tasks.example", "http"),
    ],
)
def test_the_link_starts_with_the_url_starlette_gives_the_request(path: str, host: bytes | None, scheme: str) -> None:
    request = request_to(path, host, scheme)
    expected = str(request_to(path, host, scheme).url).partition("?")[0]
    assert next_page_url(request, "MjUw", 2) == f"{expected}?cursor=MjUw&limit=2"


class UnparsedRequest(Request):
    """A request whose Starlette URL must not be built."""

    @property
    def url(self) -> NoReturn:
        raise AssertionError("the URL was parsed")


@pytest.mark.parametrize("host", [b"tasks.example", b"127.0.0.1:8000", b"127.0.0.1:51601", b"127.0.0.1:65535"])
def test_a_plain_host_on_any_port_is_written_from_the_scope(host: bytes) -> None:
    request = UnparsedRequest(request_to("/v1/reports", host).scope)
    assert next_page_url(request, "MjUw", 2) == f"http://{host.decode()}/v1/reports?cursor=MjUw&limit=2"
