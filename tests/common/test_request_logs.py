"""Request ids and JSON log lines: one access line per request, the ids on every line, never a secret."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from services.common.correlation import INCOMING_TRACEPARENT, REQUEST_ID
from services.common.http import ServiceClient
from services.common.logs import JsonFormatter
from services.common.secrets import redact_url_secrets_in_logs
from tests.conftest import Headers

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@contextmanager
def json_lines(name: str) -> Iterator[list[dict]]:
    """The lines logger `name` (and its children) writes in the block, as the services write them, parsed after it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("tasks_api"))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)  # setLevel, not .level =: it empties the loggers' isEnabledFor cache
    parsed: list[dict] = []
    try:
        yield parsed
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        parsed += [orjson.loads(line) for line in stream.getvalue().splitlines()]


def test_a_request_without_an_id_is_given_one_and_told_it(tasks_client: TestClient, auth: Headers) -> None:
    response = tasks_client.get("/v1/plans", headers=auth("viewer"))
    assert len(response.headers["X-Request-ID"]) == 32


def test_the_callers_request_id_is_kept_and_returned(tasks_client: TestClient, auth: Headers) -> None:
    response = tasks_client.get("/v1/plans", headers=auth("viewer", **{"X-Request-ID": "front-end:7f3a-01"}))
    assert response.headers["X-Request-ID"] == "front-end:7f3a-01"


@pytest.mark.parametrize("unsafe", ["x" * 129, "a b", "<script>", "id\u00e9"])
def test_an_unsafe_request_id_is_replaced(tasks_client: TestClient, auth: Headers, unsafe: str) -> None:
    response = tasks_client.get("/v1/plans", headers={"X-Request-ID": unsafe.encode(), **auth("viewer")})
    assert response.headers["X-Request-ID"] != unsafe and len(response.headers["X-Request-ID"]) == 32


def test_each_request_writes_one_json_access_line_with_route_status_duration_and_subject(
    tasks_client: TestClient, auth: Headers
) -> None:
    headers = auth("viewer", **{"X-Request-ID": "r-1", "traceparent": TRACEPARENT})
    with json_lines("duban.access") as lines:
        tasks_client.get("/v1/plans/424242", headers=headers)
    [line] = lines
    assert {k: line[k] for k in ("level", "service", "request_id", "trace_id", "route", "status", "subject")} == {
        "level": "info",
        "service": "tasks_api",
        "request_id": "r-1",
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "route": "/v1/plans/{plan_id}",
        "status": 404,
        "subject": "test-viewer-0",
    }
    assert line["duration_ms"] >= 0 and line["time"].endswith("+00:00")
    assert headers["Authorization"].removeprefix("Bearer ") not in orjson.dumps(line).decode()


def test_secrets_in_urls_stay_redacted_in_json_lines() -> None:
    redact_url_secrets_in_logs()
    with json_lines("duban.deliveries") as lines:
        logging.getLogger("duban.deliveries").warning(
            "posting to %s", "https://robot.example.cn/send?access_token=abc123"
        )
    assert "abc123" not in lines[0]["message"] and "[redacted]" in lines[0]["message"]


def test_fields_named_like_a_secret_are_never_written() -> None:
    with json_lines("duban.auth") as lines:
        logging.getLogger("duban.auth").info("checked", extra={"token": "t0p", "client_secret": "s3c", "role": "unit"})
    assert lines[0]["role"] == "unit" and "t0p" not in str(lines) and "s3c" not in str(lines)


def test_peer_calls_carry_the_request_id_and_the_callers_traceparent() -> None:
    seen: list[httpx.Headers] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"ok": True})

    async def call() -> None:
        client = ServiceClient("http://peer", lambda: "t", peer="peer", transport=httpx.MockTransport(answer))
        REQUEST_ID.set("r-42")
        INCOMING_TRACEPARENT.set(TRACEPARENT)
        await client.get("/v1/thing", cache=False)
        await client.post("/v1/events", {"a": 1})
        await client.aclose()

    asyncio.run(call())
    assert [(h["x-request-id"], h["traceparent"]) for h in seen] == [("r-42", TRACEPARENT)] * 2
