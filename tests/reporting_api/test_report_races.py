"""Two clients change one report at the same moment: exactly one wins, and nothing of the loser is written.

Each round files a fresh report, then releases two requests together (a barrier, two connections to one
reporting_api served by uvicorn), on SQLite and on PostgreSQL. The loser answers 409 or 412 (or 503 when SQLite
kept its write lock past the busy timeout), never 500; the versions, the workflow history and the outbox hold
the winner's step once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest

from services.common import clock
from services.reporting_api.app import create_app
from services.reporting_api.db import outbox_events
from services.reporting_api.models import metadata
from tests.conftest import reporting_settings, serve_in_thread
from tests.databases import empty_tables
from tests.reporting_api.test_reports import FULL_CONTENT, TRANSPORT
from tests.tasks_api.test_outbox import events

# The quarterly progress reports (季度梳理) of task 9 that its lead owes: Q2 and Q4 are answered by the summaries.
PERIODS = [f"{year}-Q{quarter}" for year in range(2020, 2026) for quarter in (1, 3)]
ROUNDS = len(PERIODS)
LOST = {409, 412, 503}

Send = Callable[[httpx.Client], httpx.Response]


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


@pytest.fixture
def unit(quzhou, auth):
    return auth("unit", unit_id=quzhou.unit_id(TRANSPORT))


@pytest.fixture
def t9_id(quzhou):
    return quzhou.item("T9")["id"]


def together(url: str, first: Send, second: Send) -> tuple[httpx.Response, httpx.Response]:
    """Send both requests at the same moment, each on its own connection."""
    barrier = threading.Barrier(2)

    def run(send: Send) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=30) as client:
            client.get("/healthz")  # connected before the barrier: what it releases are the requests
            barrier.wait()
            return send(client)

    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(run, (first, second))
    return a, b


def one_winner(a: httpx.Response, b: httpx.Response) -> httpx.Response:
    statuses = sorted((a.status_code, b.status_code))
    assert statuses[0] == 200 and statuses[1] in LOST, (a.text, b.text)
    loser = b if a.status_code == 200 else a
    assert loser.headers["content-type"] == "application/problem+json"
    return a if a.status_code == 200 else b


def file_report(api: httpx.Client, unit: dict, item_id: int, period: str) -> dict:
    response = api.post(
        "/v1/reports", json={"item_id": item_id, "period": period, **FULL_CONTENT, "progress": "初稿"}, headers=unit
    )
    assert response.status_code == 201, response.text
    return response.json()


def submitted(api: httpx.Client, unit: dict, item_id: int, period: str) -> dict:
    report = file_report(api, unit, item_id, period)
    response = api.post(f"/v1/reports/{report['id']}/submit", headers=unit)
    assert response.status_code == 200, response.text
    return response.json()


def post(path: str, headers: dict, body: dict | None = None) -> Send:
    return lambda client: client.post(path, json=body, headers=headers)


def put(path: str, headers: dict, body: dict) -> Send:
    return lambda client: client.put(path, json=body, headers=headers)


def read(api: httpx.Client, office: dict, report_id: int) -> tuple[dict, list[dict], list[tuple]]:
    """The report, its versions and its workflow history."""
    report = api.get(f"/v1/reports/{report_id}", headers=office).json()
    versions = api.get(f"/v1/reports/{report_id}/versions", headers=office).json()["data"]
    history = api.get(f"/v1/reports/{report_id}/history", headers=office).json()["data"]
    steps = [(h["from_status"], h["to_status"]) for h in history]
    return report, versions, steps


def events_of(database_url: str, report_id: int) -> list[str]:
    return [e["type"] for e in events(database_url, outbox_events) if e["data"]["report_id"] == report_id]


def test_an_accept_and_a_return_at_once_exactly_one_is_the_review(served, api, reporting_database, auth, unit, t9_id):
    office = auth("office")
    for period in PERIODS[:ROUNDS]:
        report = submitted(api, unit, t9_id, period)
        seen = {**office, "If-Match": f'"{report["version"]}"'}
        review = f"/v1/reports/{report['id']}/review"
        winner = one_winner(
            *together(
                served,
                post(review, seen, {"decision": "accept"}),
                post(review, seen, {"decision": "return", "comment": "请补充"}),
            )
        )
        outcome = winner.json()["status"]
        after, versions, steps = read(api, office, report["id"])
        assert after["status"] == outcome
        assert [v["outcome"] for v in versions] == [outcome]
        assert steps == [(None, "draft"), ("draft", "submitted"), ("submitted", outcome)]
        assert events_of(reporting_database, report["id"]) == ["report.submitted", f"report.{outcome}"]


@pytest.mark.parametrize("with_etag", [True, False], ids=["if-match", "no-if-match"])
def test_two_submits_at_once_make_one_version(served, api, reporting_database, auth, unit, t9_id, with_etag):
    for period in PERIODS[:ROUNDS]:
        report = file_report(api, unit, t9_id, period)
        headers = {**unit, "If-Match": f'"{report["version"]}"'} if with_etag else unit
        submit = post(f"/v1/reports/{report['id']}/submit", headers)
        one_winner(*together(served, submit, submit))
        after, versions, steps = read(api, auth("office"), report["id"])
        assert (after["status"], after["submissions"], len(versions)) == ("submitted", 1, 1)
        assert steps == [(None, "draft"), ("draft", "submitted")]
        assert events_of(reporting_database, report["id"]) == ["report.submitted"]


def test_a_submit_racing_an_edit_never_loses_the_edit(served, api, auth, unit, t9_id):
    """The edit is refused, or the submitted version holds it; never an edit accepted and then not submitted."""
    for period in PERIODS[:ROUNDS]:
        report = file_report(api, unit, t9_id, period)
        edit = {**unit, "If-Match": f'"{report["version"]}"'}
        edited, submitted_ = together(
            served,
            lambda client, report=report, edit=edit: client.patch(
                f"/v1/reports/{report['id']}", json={"progress": "终稿"}, headers=edit
            ),
            post(f"/v1/reports/{report['id']}/submit", unit),
        )
        assert {edited.status_code, submitted_.status_code} <= {200} | LOST, (edited.text, submitted_.text)
        assert 200 in (edited.status_code, submitted_.status_code)
        after, versions, _ = read(api, auth("office"), report["id"])
        if edited.status_code == 200:
            assert after["progress"] == "终稿"
            assert all(v["content"]["progress"] == "终稿" for v in versions)
        else:
            assert after["progress"] == "初稿" and [v["content"]["progress"] for v in versions] == ["初稿"]


def test_a_withdrawal_and_a_review_at_once_exactly_one_happens(served, api, reporting_database, auth, unit, t9_id):
    office = auth("office")
    for period in PERIODS[:ROUNDS]:
        report = submitted(api, unit, t9_id, period)
        etag = {"If-Match": f'"{report["version"]}"'}
        winner = one_winner(
            *together(
                served,
                post(f"/v1/reports/{report['id']}/withdraw", {**unit, **etag}),
                post(f"/v1/reports/{report['id']}/review", {**office, **etag}, {"decision": "accept"}),
            )
        )
        status = winner.json()["status"]
        after, versions, steps = read(api, office, report["id"])
        outcome = "withdrawn" if status == "draft" else "accepted"
        assert (after["status"], [v["outcome"] for v in versions]) == (status, [outcome])
        assert steps[2:] == [("submitted", status)]
        assert events_of(reporting_database, report["id"]) == ["report.submitted", f"report.{outcome}"]


def test_a_submission_and_a_due_date_move_at_once_judge_the_report_on_the_date_in_force(served, api, auth, unit, t9_id):
    """The office extends a period's due date past today while the unit files: whichever comes first, the report is
    judged on the extended date (never late by the old date under the new one)."""
    office, extended = auth("office"), (clock.business_today() + timedelta(days=30)).isoformat()
    for period in PERIODS[:ROUNDS]:
        report = file_report(api, unit, t9_id, period)
        extend = put(f"/v1/plans/{report['plan_id']}/periods/{period}/due-date", office, {"due_on": extended})
        filed, moved = together(served, post(f"/v1/reports/{report['id']}/submit", unit), extend)
        assert (filed.status_code, moved.status_code) == (200, 204), (filed.text, moved.text)
        after = api.get(f"/v1/reports/{report['id']}", headers=office).json()
        assert (after["due_on"], after["late"], after["days_late"]) == (extended, False, 0), (period, after)
