"""The gateway's nginx configuration (deploy/nginx/duban.conf.template) as nginx reads it: `nginx -t` on the rendering
for a Debian host, then a live nginx with the template rendered for this test's ports in front of the real tasks_api
and a stand-in service. Skipped where nginx is not installed; .ci/run installs Debian's package. Compose's and
Kubernetes' renderings are checked in tests/deploy/ (test_compose.py, test_kubernetes.py)."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.conftest import serve_in_thread
from tests.deploy.nginx import NGINX, main_config, nginx_test, rendered

FRONT = "https://duban.quzhou.gov.cn"
OTHER_FRONT = "http://127.0.0.1:5173"

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")


def _free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


def test_nginx_accepts_the_rendering_for_a_debian_host(tmp_path):
    result = nginx_test(tmp_path, rendered())
    assert result.returncode == 0, result.stderr


async def _create(request: Request) -> Response:
    return JSONResponse(
        {"prefix": request.headers.get("x-forwarded-prefix")}, status_code=201, headers={"Location": "/v1/things/7"}
    )


@pytest.fixture(scope="module")
def nginx(tmp_path_factory, tasks_server) -> Iterator[str]:
    """nginx with the template before tasks_api (/tasks), a stand-in (/reporting) and nothing (/notify)."""
    directory = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    stand_in = Starlette(routes=[Route("/v1/things", _create, methods=["POST"])])
    with serve_in_thread(stand_in) as reporting:
        site = rendered(
            {
                "DUBAN_GATEWAY_LISTEN": f"127.0.0.1:{port}",
                "DUBAN_GATEWAY_TASKS_API": tasks_server.removeprefix("http://"),
                "DUBAN_GATEWAY_REPORTING_API": reporting.removeprefix("http://"),
                "DUBAN_GATEWAY_NOTIFY_API": f"127.0.0.1:{_free_port()}",
                "DUBAN_GATEWAY_CORS_ORIGINS": f"{FRONT} {OTHER_FRONT}",
            }
        )
        # The limit as written, at a rate no busy machine can fall under: six requests with one token, not sixty
        # (each test below sends fewer than six with any one token, the limit's own test aside).
        for written, tight in (
            ("rate=20r/s", "rate=1r/m"),
            ("zone=duban_per_token burst=40", "zone=duban_per_token burst=5"),
        ):
            assert written in site
            site = site.replace(written, tight)
        (directory / "duban.conf").write_text(site)
        process = subprocess.Popen(
            [NGINX, "-p", str(directory), "-c", str(main_config(directory, directory / "duban.conf"))]
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(url, timeout=0.2)
                    break
                except httpx.TransportError:
                    time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_nginx_serves_a_service_under_its_prefix_with_its_next_page_linked_there(nginx, auth):
    first = httpx.get(f"{nginx}/tasks/v1/units?limit=2", headers=auth("viewer"))
    assert first.status_code == 200
    assert first.links["next"]["url"].startswith(f"{nginx}/tasks/v1/units?")
    assert httpx.get(first.links["next"]["url"], headers=auth("viewer")).status_code == 200


def test_nginx_moves_location_under_the_prefix_and_names_the_prefix_to_the_service(nginx):
    answer = httpx.post(f"{nginx}/reporting/v1/things", content=b"{}", headers={"X-Forwarded-Prefix": "/evil"})
    assert answer.headers["location"] == "/reporting/v1/things/7"
    assert answer.json()["prefix"] == "/reporting"


def test_nginx_serves_each_services_docs_under_its_prefix(nginx):
    assert 'href="/tasks/docs"' in httpx.get(f"{nginx}/").text
    assert "/tasks/docs/assets/swagger-ui-bundle.js" in httpx.get(f"{nginx}/tasks/docs").text
    assert httpx.get(f"{nginx}/tasks/openapi.json").json()["servers"] == [{"url": "/tasks"}]


def test_nginx_answers_a_preflight_from_a_configured_origin_only(nginx):
    asked = {"Origin": FRONT, "Access-Control-Request-Method": "PATCH", "Access-Control-Request-Headers": "if-match"}
    preflight = httpx.options(f"{nginx}/tasks/v1/units/1", headers=asked)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == FRONT
    assert "If-Match" in preflight.headers["access-control-allow-headers"]
    elsewhere = httpx.options(f"{nginx}/tasks/v1/units/1", headers={**asked, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in elsewhere.headers


def test_nginx_allows_each_listed_origin_whole_and_no_origin_that_only_contains_one(nginx):
    asked = {"Access-Control-Request-Method": "PATCH"}
    for origin in (OTHER_FRONT, FRONT):
        assert httpx.options(f"{nginx}/tasks/v1/units/1", headers={**asked, "Origin": origin}).status_code == 204
    for origin in (f"{FRONT}.evil.example", FRONT.removesuffix(".cn"), f"{FRONT} {OTHER_FRONT}", f"x{OTHER_FRONT}"):
        refused = httpx.options(f"{nginx}/tasks/v1/units/1", headers={**asked, "Origin": origin})
        assert "access-control-allow-origin" not in refused.headers, origin


def test_nginx_lets_a_configured_origin_read_the_etag(nginx, auth):
    answer = httpx.get(f"{nginx}/tasks/v1/units/1", headers=auth("viewer", Origin=FRONT))
    assert answer.headers["access-control-allow-origin"] == FRONT
    assert "ETag" in answer.headers["access-control-expose-headers"]


def test_nginx_limits_each_token_with_429_and_retry_after_while_another_token_passes(nginx, auth):
    office = auth("office")  # minted once: a token minted in the next second would be another key
    with httpx.Client() as client:
        statuses = [client.get(f"{nginx}/tasks/healthz", headers=office) for _ in range(8)]
        limited = [answer for answer in statuses if answer.status_code == 429]
        assert limited, [answer.status_code for answer in statuses]
        assert limited[0].headers["retry-after"] == "1"
        assert limited[0].headers["content-type"] == "application/problem+json"
        assert client.get(f"{nginx}/tasks/healthz", headers=auth("unit", unit_id=1)).status_code == 200


def test_nginx_refuses_a_body_over_1_mib_as_a_problem(nginx):
    answer = httpx.post(f"{nginx}/reporting/v1/things", content=b"x" * (1024 * 1024 + 1))
    assert answer.status_code == 413
    assert answer.json()["type"].endswith("/payload-too-large")


def test_nginx_answers_502_as_a_problem_when_a_service_is_down(nginx):
    answer = httpx.get(f"{nginx}/notify/v1/contacts")
    assert answer.status_code == 502
    assert answer.json()["type"].endswith("/bad-gateway")
