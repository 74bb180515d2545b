"""Every instant leaves a service in one RFC 3339 form, UTC with `Z`; every date as a plain ISO date.

The form is `2026-12-03T08:15:00.123456Z`, the fraction written when the instant has one (pydantic and orjson
both write it so; instants people type, such as a dispatch's as_of, have none). Never `+00:00`, never naive.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
LOOKS_TEMPORAL = re.compile(r"^\d{4}-\d{2}-\d{2}")


def temporal_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, string) of a JSON document that starts like a date."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from temporal_strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from temporal_strings(inner, f"{path}[{index}]")
    elif isinstance(value, str) and LOOKS_TEMPORAL.match(value):
        yield path, value


def assert_one_form(document: Any, *expected_instants: str) -> None:
    found = dict(temporal_strings(document))
    wrong = {path: text for path, text in found.items() if not (INSTANT.match(text) or DATE.match(text))}
    assert wrong == {}
    for name in expected_instants:  # the fields the test is about are there, and are instants
        assert any(path.endswith(f".{name}") and INSTANT.match(text) for path, text in found.items()), name


def ok(response) -> Any:
    assert response.status_code < 300, response.text
    return response.json()
