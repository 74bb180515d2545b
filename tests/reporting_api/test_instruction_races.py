"""The lead unit answers an instruction while the office settles it: exactly one closes it, the other writes
nothing (no reply, no event), on SQLite and on PostgreSQL; served by uvicorn so both really run side by side."""

from __future__ import annotations

import httpx
import pytest

from services.reporting_api.app import create_app
from services.reporting_api.db import outbox_events
from services.reporting_api.models import metadata
from tests.conftest import reporting_settings, serve_in_thread
from tests.databases import empty_tables
from tests.reporting_api.test_report_races import LOST, post, together
from tests.tasks_api.test_outbox import events

ROUNDS = 6


@pytest.fixture
def served(reporting_database, tasks_server):
    """reporting_api on an empty database, served on a local port so that requests really run side by side."""
    empty_tables(reporting_database, metadata)
    with serve_in_thread(create_app(reporting_settings(reporting_database, tasks_server))) as url:
        yield url


@pytest.fixture
def api(served):
    with httpx.Client(base_url=served, timeout=30) as client:
        yield client


CLOSING = {"answer", "settle"}


def closing_replies(detail: dict) -> list[str]:
    return [r["kind"] for r in detail["replies"] if r["kind"] in CLOSING]


@pytest.mark.parametrize("with_etag", [True, False], ids=["if-match", "no-if-match"])
def test_an_answer_and_a_settlement_at_once_exactly_one_closes_the_instruction(
    served, api, reporting_database, auth, quzhou, with_etag
):
    office = auth("office")
    lead = auth("unit", unit_id=quzhou.unit_id("市交通运输局"))
    body = {"item_id": quzhou.item("T9")["id"], "text": "请落实。", "author_name": "张三", "answer_by": "2024-04-30"}
    for _ in range(ROUNDS):
        made = api.post("/v1/instructions", json=body, headers=office).json()
        etag = {"If-Match": f'"{made["version"]}"'} if with_etag else {}
        path = f"/v1/instructions/{made['id']}/replies"
        a, b = together(
            served,
            post(path, {**lead, **etag}, {"kind": "answer", "text": "已落实。"}),
            post(path, {**office, **etag}, {"kind": "settle", "text": "办结。"}),
        )
        statuses = sorted((a.status_code, b.status_code))
        assert statuses[0] == 201 and statuses[1] in LOST, (a.text, b.text)
        winner = a if a.status_code == 201 else b
        status = winner.json()["status"]
        after = api.get(f"/v1/instructions/{made['id']}", headers=office).json()
        assert (after["status"], after["version"]) == (status, 2)
        assert closing_replies(after) == ["answer" if status == "answered" else "settle"]
        kinds = [
            e["type"]
            for e in events(reporting_database, outbox_events)
            if e["data"].get("instruction_id") == made["id"]
        ]
        assert kinds == ["instruction.issued", f"instruction.{status}"]
