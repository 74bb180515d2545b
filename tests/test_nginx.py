"""The production gateway (deploy/nginx/duban.conf) as nginx reads it: `nginx -t`, then a live nginx with the file
as written (only its addresses moved to this test's ports) in front of the real tasks_api and a stand-in service.
Skipped where nginx is not installed; .ci/run installs Debian's package."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from services.common.settings import REPO_ROOT
from tests.conftest import serve_in_thread

CONFIG = REPO_ROOT / "deploy" / "nginx" / "duban.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
FRONT = "https://duban.quzhou.gov.cn"

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx)")


def _free_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port: int = probe.getsockname()[1]
    probe.close()
    return port


def _main_config(directory: Path, site: Path) -> Path:
    """A main nginx.conf around the site file, everything nginx writes kept in `directory`."""
    temp = " ".join(
        f"{kind}_temp_path {directory / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # the workers read the temp files this test's root owns
    main = directory / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\npid {directory / 'nginx.pid'};\nerror_log {directory / 'error.log'};\nevents {{}}\n"
        f"http {{\n access_log off;\n {temp}\n include {site};\n}}\n"
    )
    return main


def test_nginx_accepts_the_configuration(tmp_path):
    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(_main_config(tmp_path, CONFIG))],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr


async def _create(request: Request) -> Response:
    return JSONResponse(
        {"prefix": request.headers.get("x-forwarded-prefix")}, status_code=201, headers={"Location": "/v1/things/7"}
    )


@pytest.fixture(scope="module")
def nginx(tmp_path_factory, tasks_server) -> Iterator[str]:
    """nginx with deploy/nginx/duban.conf before tasks_api (/tasks), a stand-in (/reporting) and nothing (/notify)."""
    directory = tmp_path_factory.mktemp("nginx")
    port = _free_port()
    stand_in = Starlette(routes=[Route("/v1/things", _create, methods=["POST"])])
    with serve_in_thread(stand_in) as reporting:
        site = CONFIG.read_text()
        for address, url in (("127.0.0.1:8001", tasks_server), ("127.0.0.1:8002", reporting)):
            site = site.replace(f"server {address};", f"server {url.removeprefix('http://')};")
        site = site.replace("server 127.0.0.1:8003;", f"server 127.0.0.1:{_free_port()};")
        site = site.replace("listen 80;", f"listen 127.0.0.1:{port};")
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
            [NGINX, "-p", str(directory), "-c", str(_main_config(directory, directory / "duban.conf"))]
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


def test_nginx_lets_a_configured_origin_read_the_etag(nginx, auth):
    answer = httpx.get(f"{nginx}/tasks/v1/units/1", headers=auth("viewer", Origin=FRONT))
    assert answer.headers["access-control-allow-origin"] == FRONT
    assert "ETag" in answer.headers["access-control-expose-headers"]


def test_nginx_limits_each_token_with_429_and_retry_after_while_another_token_passes(nginx, auth):
    with httpx.Client() as client:
        statuses = [client.get(f"{nginx}/tasks/healthz", headers=auth("office")) for _ in range(8)]
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
