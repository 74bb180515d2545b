"""Every operation of the three contracts, every parameter and body field, with boundary and hostile values.

For each operation the test sends, one at a time: each path parameter replaced by a value no id has; each query
parameter set to hostile text, numbers and dates; and each top-level field of the operation's own example body
replaced by values of the wrong type, out of range or hostile text. Whatever the service answers, it is never a
5xx, an error is always a problem document, and a refused write leaves every table as it was (the world's
fingerprint). Schemathesis' strategies never reach most of these values.

This module builds its own worlds: values that are valid (an emoji title) are accepted and change the data, which
the other hostile tests, sharing the session's worlds, must not see.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Headers
from tests.databases import TestDatabases
from tests.hostile.conftest import _migrated, build_notify_world, build_reporting_world, build_tasks_world
from tests.hostile.contract import SERVICES, Operation, operations
from tests.hostile.world import World

LONG = "长" * 2_000 + "x" * 8_000  # 10,000 characters, within the URL length an HTTP client sends
HOSTILE_TEXT = [
    "",
    LONG,
    "a\x01b\x1fc\x7f",
    "\u202eevil\u2066 \u200b",
    "😀🎉𠮷" * 50,
    "-1",
    str(2**63),
    "1e400",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "9999-H2",
    "0001-Q1",
    "[]",
    "null",
]
PATH_VALUES = ["0", "-1", str(2**63), "abc", "1e400", "%F0%9F%98%80", "9999-H2", "0001-Q1", LONG[:200]]
NUMBERS = [0, -1, 2**31, 2**63, -(2**63), 1e308, -1e308, 1e-320, 0.5]
WRONG_TYPES = [True, None, [], {}, ["x"], {"a": 1}]
DATES = [
    "0001-01-01",
    "9999-12-31",
    "1969-12-31",
    "2201-01-01",
    "2024-02-30",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59+14:00",
    "2024-13-01",
]


@dataclass(frozen=True)
class Case:
    where: str  # path, query or body, and the name
    url: str
    query: dict[str, str]
    body: Any  # the JSON body, or None without one


def body_values(schema: dict[str, Any]) -> list[Any]:
    """The hostile values for a body field of this schema: its own type's edges, then other types."""
    kinds = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
    formats = {schema.get("format")} | {s.get("format") for s in schema.get("anyOf", [])}
    values: list[Any] = list(WRONG_TYPES)
    if kinds & {"integer", "number"}:
        values += [*NUMBERS, "1", "NaN"]
    if "string" in kinds or not kinds - {None}:
        values += [*HOSTILE_TEXT[:6], 2**63, -1, 1e308]
    if formats & {"date", "date-time"}:
        values += DATES
    if "array" in kinds:
        values += [[None], [LONG], ["x"] * 10_000, [{"a": 1}] * 3, [2**63]]
    return values


def example_body(op: Operation, world: World) -> dict[str, Any] | None:
    """The operation's own example body, with ids of the world's real objects where it names them."""
    if op.body_schema is None:
        return None
    content = op.spec["requestBody"]["content"]["application/json"]
    example = content.get("example") or {}
    if not isinstance(example, dict):
        return {}
    return {
        key: world.ids.get(key, world.unit_a if key in ("unit_id", "owner_id") else value)
        for key, value in example.items()
    }


def cases(op: Operation, world: World) -> Iterator[Case]:
    url = op.url(world.ids)
    body = example_body(op, world)
    for name in op.path_parameters:
        for value in PATH_VALUES:
            yield Case(f"path {name}={value[:20]!r}", op.url({**world.ids, name: value}), {}, body)
    for name in op.query_parameters:
        for value in HOSTILE_TEXT:
            yield Case(f"query {name}={value[:20]!r}", url, {name: value}, body)
    schema = op.body_schema or {}
    for name, field in (schema.get("properties") or {}).items():
        for value in body_values(op.resolve(field)):
            yield Case(f"body {name}={str(value)[:20]!r}", url, {}, {**(body or {}), name: value})
    if body is not None:
        for whole in ([], "text", 2**63, None, [body]):
            yield Case(f"body as {type(whole).__name__}", url, {}, whole)


def failures(world: World, op: Operation, auth: Headers) -> tuple[int, list[str]]:
    """(cases sent, what went wrong) for one operation."""
    headers = {} if op.is_public else auth("admin")
    found, sent = [], 0
    for case in cases(op, world):
        sent += 1
        before = world.fingerprint() if op.is_write else None
        response = world.client.request(
            op.method,
            case.url,
            params=case.query,
            headers=headers,
            **({"json": case.body} if op.body_schema is not None else {}),
        )
        status = response.status_code
        if status >= 500:
            found.append(f"{case.where}: {status} {response.text[:200]}")
        elif status >= 400:
            if not response.headers.get("content-type", "").startswith("application/problem+json"):
                found.append(f"{case.where}: {status} without a problem document")
            elif before is not None and world.fingerprint() != before:
                found.append(f"{case.where}: refused with {status} but the data changed")
    return sent, found


@pytest.fixture(scope="module")
def tasks_world(databases: TestDatabases, auth: Headers) -> Iterator[World]:
    yield from build_tasks_world(databases, auth)


@pytest.fixture(scope="module")
def _reporting_database(databases: TestDatabases) -> str:
    return _migrated(databases, "reporting_api")


@pytest.fixture(scope="module")
def reporting_world(_reporting_database: str, tasks_server: str, auth: Headers) -> Iterator[World]:
    yield from build_reporting_world(_reporting_database, tasks_server, auth)


@pytest.fixture(scope="module")
def notify_world(
    databases: TestDatabases, tasks_server: str, reporting_world: World, _reporting_database: str, auth: Headers
) -> Iterator[World]:
    yield from build_notify_world(databases, tasks_server, reporting_world, _reporting_database, auth)


@pytest.mark.parametrize("op", [op for service in SERVICES for op in operations(service)], ids=str)
def test_no_value_in_any_parameter_or_field_gives_a_5xx_or_changes_data_when_refused(world, op, auth):
    sent, found = failures(world(op.service), op, auth)
    assert not found, f"{op}: {len(found)} of {sent} cases failed:\n" + "\n".join(found[:30])
