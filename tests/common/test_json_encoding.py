"""Responses and stored payloads are encoded by services/common/json.py: orjson, UTC instants ending in Z, and keys
other than str written as text (most documents have only str keys and take orjson's quicker path)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum

import orjson
import pytest

from services.common.json import JSONBytesResponse, PageBytes, dumps, render


class Colour(StrEnum):
    RED = "red"


def test_a_document_with_str_keys_encodes_as_orjson_writes_it_with_instants_in_z():
    document = {"data": [{"id": 1, "due_on": date(2025, 6, 30), "at": datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)}]}
    expected = b'{"data":[{"id":1,"due_on":"2025-06-30","at":"2025-01-02T03:04:05Z"}]}'
    assert render(document) == expected
    assert dumps(document) == expected


def test_a_naive_instant_is_the_utc_it_was_written_in():
    naive = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC).replace(tzinfo=None)  # as SQLite hands an instant back
    assert dumps({"at": naive}) == b'{"at":"2025-01-02T03:04:05Z"}'


def test_keys_that_are_not_str_are_written_as_text():
    document = {1: "one", "nested": {Colour.RED: [date(2025, 1, 1)]}}
    assert dumps(document) == b'{"1":"one","nested":{"red":["2025-01-01"]}}'


def test_a_value_nothing_encodes_is_refused():
    with pytest.raises(orjson.JSONEncodeError, match="object"):
        dumps({"x": object()})


@pytest.mark.parametrize("link", ['<http://h/v1/x?cursor=NTA&limit=50>; rel="next"', None])
def test_a_page_is_sent_with_the_headers_and_body_a_json_response_with_its_link_has(link):
    page = {"data": [{"id": 1, "title": "计划"}], "next_cursor": "NTA" if link else None}
    plain = JSONBytesResponse(page, headers={"Link": link} if link else None)
    lean = PageBytes(page, link)
    assert (lean.status_code, lean.raw_headers, lean.body) == (plain.status_code, plain.raw_headers, plain.body)
