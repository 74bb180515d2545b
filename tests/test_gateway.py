"""One origin (services/gateway.py): each service under its prefix, bodies streamed both ways, the places a service
names moved under its prefix, and a problem document when a service is down or too slow."""

from __future__ import annotations

import socket
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from services.gateway import Gateway, Upstream, under_prefix
from tests.conftest import serve_in_thread

CHUNK = b"x" * 65536
CHUNKS = 80  # 5 MiB


async def _create(request: Request) -> Response:
    """A stand-in service's creating POST: what it saw of the request, and the headers that name places."""
    body = await request.body()
    seen = {
        "path": request.url.path,
        "query": request.url.query,
        "host": request.headers.get("host"),
        "prefix": request.headers.get("x-forwarded-prefix"),
        "proto": request.headers.get("x-forwarded-proto"),
        "hop": request.headers.get("x-hop"),
        "idempotency_key": request.headers.get("idempotency-key"),
        "bytes": len(body),
    }
    headers = {
        "Location": "/v1/things/7",
        "ETag": '"3"',
        "Link": f'<{request.url.replace(query="cursor=abc")}>; rel="next", <https://other.example/x>; rel="help"',
        "Connection": "x-hop",
        "X-Hop": "only for this connection",
    }
    return JSONResponse(seen, status_code=201, headers=headers)


async def _big(request: Request) -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(CHUNKS):
            yield CHUNK

    return StreamingResponse(chunks(), media_type="application/octet-stream")


@pytest.fixture(scope="module")
def stand_in() -> Iterator[str]:
    app = Starlette(routes=[Route("/v1/things", _create, methods=["POST"]), Route("/v1/big", _big)])
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture(scope="module")
def silent() -> Iterator[str]:
    """A port that accepts connections and never answers (a service stuck)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()


def _closed_port() -> str:
    """A port nothing listens on (a service down)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def origin(tasks_server, stand_in) -> Iterator[str]:
    """The real tasks_api, a stand-in under /reporting, and nothing under /notify."""
    upstreams = [
        Upstream("tasks_api", "/tasks", tasks_server),
        Upstream("reporting_api", "/reporting", stand_in),
        Upstream("notify_api", "/notify", _closed_port()),
    ]
    with serve_in_thread(Gateway(upstreams)) as url:
        yield url


@pytest.fixture(scope="module")
def impatient_origin(stand_in, silent) -> Iterator[str]:
    """A gateway that waits one second for a service, with a stuck one under /stuck."""
    upstreams = [Upstream("reporting_api", "/reporting", stand_in), Upstream("stuck_api", "/stuck", silent)]
    with serve_in_thread(Gateway(upstreams, read_timeout=1.0)) as url:
        yield url


def test_the_landing_page_links_each_services_docs(origin):
    page = httpx.get(f"{origin}/").text
    for prefix in ("/tasks", "/reporting", "/notify"):
        assert f'href="{prefix}/docs"' in page
        assert f'href="{prefix}/redoc"' in page


def test_a_service_answers_under_its_prefix_with_its_next_page_linked_there(origin, auth):
    first = httpx.get(f"{origin}/tasks/v1/units?limit=2", headers=auth("viewer"))
    assert first.status_code == 200
    next_page = first.links["next"]["url"]
    assert next_page.startswith(f"{origin}/tasks/v1/units?")
    second = httpx.get(next_page, headers=auth("viewer"))
    assert second.status_code == 200
    assert second.json()["data"][0]["id"] > first.json()["data"][-1]["id"]


def test_the_same_record_has_the_same_etag_through_the_origin_and_on_its_own_port(origin, tasks_server, auth):
    direct = httpx.get(f"{tasks_server}/v1/units/1", headers=auth("viewer"))
    through = httpx.get(f"{origin}/tasks/v1/units/1", headers=auth("viewer"))
    assert through.status_code == 200
    assert through.headers["etag"] == direct.headers["etag"]


def test_the_request_reaches_the_service_without_its_prefix_and_with_the_forwarded_headers(origin):
    answer = httpx.post(
        f"{origin}/reporting/v1/things?q=%E8%A1%A2",
        content=b"{}",
        headers={"Idempotency-Key": "k-1", "X-Forwarded-Prefix": "/evil"},
    )
    seen = answer.json()
    assert (seen["path"], seen["query"]) == ("/v1/things", "q=%E8%A1%A2")
    assert seen["host"] == origin.removeprefix("http://")
    assert (seen["prefix"], seen["proto"], seen["idempotency_key"]) == ("/reporting", "http", "k-1")


def test_location_and_link_name_places_under_the_prefix_and_etag_passes_as_is(origin):
    answer = httpx.post(f"{origin}/reporting/v1/things", content=b"{}")
    assert answer.status_code == 201
    assert answer.headers["location"] == "/reporting/v1/things/7"
    assert answer.headers["etag"] == '"3"'
    assert answer.links["next"]["url"] == f"{origin}/reporting/v1/things?cursor=abc"
    assert answer.links["help"]["url"] == "https://other.example/x"


def test_hop_by_hop_headers_stay_on_their_connection(origin):
    answer = httpx.post(f"{origin}/reporting/v1/things", content=b"{}", headers={"Connection": "x-hop", "X-Hop": "1"})
    assert answer.json()["hop"] is None
    assert "x-hop" not in answer.headers


def test_a_5_mib_body_streams_up_and_down(origin):
    def upload() -> Iterator[bytes]:
        yield from [CHUNK] * CHUNKS

    assert httpx.post(f"{origin}/reporting/v1/things", content=upload()).json()["bytes"] == len(CHUNK) * CHUNKS
    with httpx.stream("GET", f"{origin}/reporting/v1/big") as download:
        sizes = [len(chunk) for chunk in download.iter_raw()]
    assert sum(sizes) == len(CHUNK) * CHUNKS
    assert len(sizes) > 1  # arrived in pieces, not as one buffered whole


def test_a_service_that_is_down_is_a_502_problem_with_retry_after(origin):
    answer = httpx.get(f"{origin}/notify/v1/contacts")
    assert answer.status_code == 502
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["type"].endswith("/bad-gateway")
    assert answer.json()["instance"] == "/notify/v1/contacts"


def test_a_service_that_does_not_answer_in_time_is_a_504_problem(impatient_origin):
    answer = httpx.get(f"{impatient_origin}/stuck/v1/anything", timeout=10)
    assert answer.status_code == 504
    assert answer.json()["type"].endswith("/gateway-timeout")


def test_a_path_under_no_prefix_is_a_404_problem(origin):
    answer = httpx.get(f"{origin}/tasksx/v1/plans")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_docs_under_a_prefix_load_their_contract_and_assets_from_that_prefix(origin):
    page = httpx.get(f"{origin}/tasks/docs").text
    assert "/tasks/openapi.json" in page
    assert "/tasks/docs/assets/swagger-ui-bundle.js" in page
    assert httpx.get(f"{origin}/tasks/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert httpx.get(f"{origin}/tasks/openapi.json").json()["servers"] == [{"url": "/tasks"}]


@pytest.mark.parametrize(
    ("reference", "moved"),
    [
        ("/v1/x", "/tasks/v1/x"),
        ("http://gw:8000/v1/x?a=1", "http://gw:8000/tasks/v1/x?a=1"),
        ("?cursor=1", "?cursor=1"),
        ("//gw:8000/v1/x", "//gw:8000/v1/x"),
        ("https://elsewhere/v1/x", "https://elsewhere/v1/x"),
    ],
)
def test_only_references_to_the_origin_itself_move_under_the_prefix(reference, moved):
    assert under_prefix(reference, "/tasks", "gw:8000") == moved


def test_a_stuck_service_does_not_hold_the_others(impatient_origin):
    stuck = threading.Thread(target=lambda: httpx.get(f"{impatient_origin}/stuck/v1/x", timeout=10))
    stuck.start()
    assert httpx.post(f"{impatient_origin}/reporting/v1/things", content=b"{}", timeout=0.9).status_code == 201
    stuck.join()
