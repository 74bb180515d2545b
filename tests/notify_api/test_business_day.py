"""Dispatch and the bulletin judge "today" on the Beijing business day, when they are not told a day.

2024-Q1 reports are due on 2024-04-10 (a Wednesday): at 23:59 Beijing time that day (15:59Z) a missing report
is due today; at 00:01 Beijing the next day (16:01Z, still the 10th in UTC) it is overdue.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common import clock
from tests.notify_api.conftest import outbox
from tests.notify_api.test_planner import transport_hook, units  # noqa: F401 (fixtures)

LAST_MINUTE = datetime(2024, 4, 10, 15, 59, tzinfo=UTC)  # 23:59 Beijing on the due date
FIRST_MINUTE = datetime(2024, 4, 10, 16, 1, tzinfo=UTC)  # 00:01 Beijing the day after


def dispatch_now(client, auth) -> None:
    """POST /v1/dispatches without as_of: the dispatch runs as of the clock."""
    response = client.post("/v1/dispatches", json={}, headers=auth("office"))
    assert response.status_code == 201, response.text


def q1_report_steps(client, item_id) -> list[tuple[str, str]]:
    rows = outbox(client, item_id=item_id, deadline_kind="report")
    return [(r["step"], r["level"]) for r in rows if r["payload"]["data"]["period"] == "2024-Q1"]


def red_report_periods(client, auth, plan_id, item_id) -> set[str]:
    """The periods whose report of the item is in red on the bulletin of today (no date given)."""
    response = client.get("/v1/bulletins", params={"plan_id": plan_id}, headers=auth("office"))
    assert response.status_code == 200, response.text
    return {
        d["period"]
        for entry in response.json()["items"]
        if entry["item_id"] == item_id
        for d in entry["deadlines"]
        if d["kind"] == "report"
    }


@pytest.fixture
def escalate_reports_after_one_day(notify_client, auth, quzhou):
    response = notify_client.put(
        f"/v1/plans/{quzhou.plan_id}/reminder-rules/report",
        json={"escalate_after_days": 1},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert response.status_code == 200, response.text


@pytest.mark.usefixtures("transport_hook")
def test_a_dispatch_at_2359_beijing_sends_the_due_today_notice(notify_client, auth, quzhou):
    with clock.frozen(LAST_MINUTE):
        dispatch_now(notify_client, auth)
    assert q1_report_steps(notify_client, quzhou.item("T9")["id"]) == [("due-today", "blue")]


@pytest.mark.usefixtures("transport_hook")
def test_a_dispatch_at_0001_beijing_the_next_day_sends_the_first_overdue_notice(notify_client, auth, quzhou):
    with clock.frozen(FIRST_MINUTE):
        dispatch_now(notify_client, auth)
    [(step, level)] = q1_report_steps(notify_client, quzhou.item("T9")["id"])
    assert (step, level) == ("overdue-1", "yellow")
    [row] = [
        r
        for r in outbox(notify_client, item_id=quzhou.item("T9")["id"], deadline_kind="report")
        if r["payload"]["data"]["period"] == "2024-Q1"
    ]
    assert "已逾期1个工作日" in row["payload"]["subject"]
    assert row["payload"]["data"]["notice_on"] == "2024-04-11"


def test_the_bulletin_of_today_turns_at_beijing_midnight(notify_client, auth, quzhou, escalate_reports_after_one_day):
    t9 = quzhou.item("T9")["id"]
    with clock.frozen(LAST_MINUTE):
        assert "2024-Q1" not in red_report_periods(notify_client, auth, quzhou.plan_id, t9)
    with clock.frozen(FIRST_MINUTE):
        assert "2024-Q1" in red_report_periods(notify_client, auth, quzhou.plan_id, t9)


def test_upcoming_deadlines_count_from_the_beijing_day(notify_client, auth, quzhou):
    with clock.frozen(FIRST_MINUTE):
        response = notify_client.get(
            "/v1/deadlines/upcoming", params={"plan_id": quzhou.plan_id, "days": 1}, headers=auth("office")
        )
    assert response.status_code == 200, response.text
    assert response.json()["as_of"] == "2024-04-11"
