"""A plan file cannot be turned against the service: aliases, depth, size and broken text are refused with a short
problem document, and nothing is written."""

from __future__ import annotations

import pytest

from services.common.problems import MAX_PROBLEM_BYTES

# 708 bytes that PyYAML would expand to 9**9 strings ("billion laughs").
ALIAS_BOMB = "\n".join(
    ["a: &a [" + ",".join(['"lol"'] * 9) + "]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)]
).encode()


def import_yaml(client, auth, body: bytes):
    return client.post("/v1/plans/import", content=body, headers={**auth("office"), "Content-Type": "application/yaml"})


def refused(response) -> dict:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert len(response.content) <= MAX_PROBLEM_BYTES
    return response.json()


def test_an_alias_bomb_is_refused_at_its_first_alias(tasks_client, auth):
    problem = refused(import_yaml(tasks_client, auth, ALIAS_BOMB))
    assert "aliases" in problem["detail"]
    assert tasks_client.get("/v1/plans", headers=auth("admin")).json()["data"] == []


def test_a_file_nested_too_deeply_is_refused(tasks_client, auth):
    assert "nested deeper" in refused(import_yaml(tasks_client, auth, b"plan: " + b"[" * 200 + b"]" * 200))["detail"]


@pytest.mark.parametrize(
    "body", [b"plan:\n  key: a\x00b\n", b"plan:\n  title: \xff\xfe\xfd\n"], ids=["nul-byte", "invalid-utf8"]
)
def test_a_file_with_a_nul_byte_or_invalid_utf8_is_refused(tasks_client, auth, body):
    assert "not valid YAML" in refused(import_yaml(tasks_client, auth, body))["detail"]


def test_a_file_with_thousands_of_errors_gets_at_most_fifty_in_a_short_answer(tasks_client, auth):
    items = "".join(f"  - {{key: '{i}', kind: nonsense, title: ''}}\n" for i in range(3000))
    body = f"plan: {{key: p, title: t, starts_on: 2019-01-01, ends_on: 2025-12-31}}\nitems:\n{items}".encode()
    problem = refused(import_yaml(tasks_client, auth, body))
    assert 1 <= len(problem["errors"]) <= 50
    assert "more errors not shown" in problem["detail"]
