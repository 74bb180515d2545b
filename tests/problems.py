"""The one check that a response is an RFC 9457 problem document, shared by every service's tests."""

from __future__ import annotations

from typing import Any

import httpx


def assert_problem(response: httpx.Response, *statuses: int, case: str = "") -> dict[str, Any]:
    """The response is a problem document with one of these statuses, a title and a detail; returns its body.
    `case` names the attempt in a failure, when a test makes several."""
    assert response.status_code in statuses, f"{case} {response.status_code} not in {statuses}: {response.text[:500]}"
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code and body["title"] and body.get("detail"), body
    return body
