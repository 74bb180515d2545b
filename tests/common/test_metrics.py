"""GET /metrics: Prometheus' text format, counted by route template and status, behind a token, valid to promtool."""

from __future__ import annotations

import shutil
import socket
import subprocess

import httpx
import pytest
from fastapi.testclient import TestClient

from services.common.metrics import serve_worker_metrics
from tests.conftest import Headers
from tests.scrape import samples, scrape_text


def scrape(client: TestClient, auth: Headers) -> str:
    return scrape_text(client, auth("service"))


def test_requests_are_counted_by_route_template_and_status_not_by_raw_path(
    tasks_client: TestClient, auth: Headers
) -> None:
    tasks_client.get("/v1/plans/424242", headers=auth("viewer"))
    tasks_client.get("/v1/plans/434343", headers=auth("viewer"))
    found = samples(scrape(tasks_client, auth))
    labels = frozenset(
        {"service": "tasks_api", "method": "GET", "route": "/v1/plans/{plan_id}", "status": "404"}.items()
    )
    assert found[("duban_http_requests_total", labels)] >= 2
    assert found[("duban_http_request_duration_seconds_count", labels)] >= 2
    assert not any("424242" in dict(key[1]).get("route", "") for key in found)


def test_metrics_need_a_token(tasks_client: TestClient) -> None:
    assert tasks_client.get("/metrics").status_code == 401


def test_metrics_are_refused_to_a_unit(tasks_client: TestClient, auth: Headers) -> None:
    assert tasks_client.get("/metrics", headers=auth("unit", unit_id=1)).status_code == 403


def test_the_outbox_backlog_and_the_database_pool_are_reported(tasks_client: TestClient, auth: Headers) -> None:
    names = {key[0] for key in samples(scrape(tasks_client, auth))}
    assert {"duban_outbox_events_pending", "duban_outbox_oldest_pending_age_seconds"} <= names
    assert "duban_http_requests_in_flight" in names


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian's prometheus package) is not installed")
def test_promtool_finds_the_exposition_valid(tasks_client: TestClient, auth: Headers) -> None:
    tasks_client.get("/v1/plans", headers=auth("viewer"))
    checked = subprocess.run(
        ["promtool", "check", "metrics"], input=scrape(tasks_client, auth), capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_worker_serves_its_own_metrics_on_an_internal_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    serve_worker_metrics(f"127.0.0.1:{port}")
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200 and "duban_peer_call_retries_total" in answer.text
