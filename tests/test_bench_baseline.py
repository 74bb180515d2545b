"""The raw list baseline frames its answers as the services frame theirs (bench/baseline.py)."""

from __future__ import annotations

import asyncio

import orjson

from bench.baseline import Baseline, _page


def _answer(path: str) -> list[dict[str, object]]:
    """The messages the baseline sends for a GET of `path` (one it has no route for: no database is asked)."""
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}
    asyncio.run(Baseline()(scope, receive, send))
    return sent


def test_the_baseline_sends_its_body_with_its_length_not_chunked():
    start, body = _answer("/nothing")
    headers = dict(start["headers"])
    assert start["status"] == 404
    assert headers[b"content-length"] == str(len(body["body"])).encode()
    assert headers[b"content-type"] == b"application/json"


def test_a_page_holds_the_first_rows_as_objects_and_the_last_id_when_more_follow():
    rows = [{"id": 1, "measurements": '{"a": 1}'}, {"id": 2, "measurements": "[]"}, {"id": 3, "measurements": "{}"}]
    page = orjson.loads(_page(rows, 2, json_columns=("measurements",)))  # type: ignore[arg-type]
    assert page == {"data": [{"id": 1, "measurements": {"a": 1}}, {"id": 2, "measurements": []}], "next_cursor": 2}


def test_the_last_page_has_no_next_cursor():
    assert orjson.loads(_page([{"id": 1}], 2)) == {"data": [{"id": 1}], "next_cursor": None}  # type: ignore[list-item]
