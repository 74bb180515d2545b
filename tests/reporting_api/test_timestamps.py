"""reporting_api answers instants in UTC with Z (tests/rfc3339.py), dates as plain ISO dates; its events too."""

import pytest
from sqlalchemy import select

from services.reporting_api.db import outbox_events
from tests.reporting_api.test_reports import file_report, review, submit
from tests.rfc3339 import assert_one_form, ok


@pytest.fixture
def accepted(reporting_client, auth, quzhou):
    headers = auth("unit", unit_id=quzhou.unit_id("市交通运输局"))
    report = file_report(reporting_client, headers, quzhou.item("T9")["id"])
    submit(reporting_client, headers, report["id"])
    assert review(reporting_client, auth, report["id"], "accept").status_code == 200
    return report["id"]


def test_a_report_carries_its_instants_with_z(reporting_client, auth, accepted):
    report = ok(reporting_client.get(f"/v1/reports/{accepted}", headers=auth("office")))
    assert_one_form(report, "created_at", "updated_at", "submitted_at", "first_submitted_at")


def test_the_report_list_carries_instants_with_z(reporting_client, auth, quzhou, accepted):
    listed = ok(reporting_client.get("/v1/reports", params={"plan_id": quzhou.plan_id}, headers=auth("office")))
    assert_one_form(listed, "submitted_at", "updated_at")


def test_versions_and_history_carry_instants_with_z(reporting_client, auth, accepted):
    assert_one_form(
        ok(reporting_client.get(f"/v1/reports/{accepted}/versions", headers=auth("office"))),
        "submitted_at",
        "reviewed_at",
    )
    assert_one_form(ok(reporting_client.get(f"/v1/reports/{accepted}/history", headers=auth("office"))), "at")


def test_the_events_of_a_report_carry_instants_with_z(reporting_client, accepted):
    async def read():
        async with reporting_client.app.state.database.read() as conn:
            return [dict(row) for row in (await conn.execute(select(outbox_events.c.data))).mappings()]

    events = reporting_client.portal.call(read)
    submitted = next(e["data"] for e in events if "submitted_at" in e["data"])
    assert_one_form(submitted, "submitted_at")
