"""Bulk import of report history: what it writes reads back through the API like reports filed through it."""

import asyncio
from datetime import UTC, date, datetime

import pytest

from services.common.db import Database, make_engine
from services.reporting_api.reports.history import PastMeasurement, PastReport, import_past_reports
from services.reporting_api.reports.models import ReportStatus

DUE = date(2024, 4, 12)


def load(url, history):
    async def run():
        database = Database(make_engine(url))
        try:
            return await import_past_reports(database, history, actor="history-import", batch_size=1)
        finally:
            await database.dispose()

    return asyncio.run(run())


def past(quzhou, unit_id, item_key, *, status=ReportStatus.ACCEPTED, submitted_on=date(2024, 4, 10), values=()):
    item = quzhou.item(item_key)
    return PastReport(
        plan_id=quzhou.plan_id,
        item_id=item["id"],
        unit_id=unit_id,
        period="2024-Q1",
        role="lead",
        status=status,
        submitted_at=datetime.combine(submitted_on, datetime.min.time(), UTC),
        due_on=DUE,
        progress="已完成季度目标",
        percent_complete=40,
        measurements=tuple(values),
        reviewed_by="office",
        reviewed_at=datetime(2024, 4, 20, tzinfo=UTC),
    )


def test_imported_reports_are_listed_with_their_status(reporting_client, reporting_database, quzhou, transport, auth):
    count = load(
        reporting_database,
        [
            past(quzhou, transport["unit_id"], "T9"),
            past(quzhou, transport["unit_id"], "T10", status=ReportStatus.SUBMITTED),
        ],
    )
    listed = reporting_client.get(
        "/v1/reports", params={"plan_id": quzhou.plan_id, "period": "2024-Q1"}, headers=auth("office")
    ).json()["data"]
    assert count == 2
    assert sorted(r["status"] for r in listed) == ["accepted", "submitted"]


def test_an_imported_report_after_its_due_date_is_late_by_the_working_days_since(
    reporting_client, reporting_database, quzhou, transport, auth
):
    load(reporting_database, [past(quzhou, transport["unit_id"], "T9", submitted_on=date(2024, 4, 15))])
    report = reporting_client.get("/v1/reports", params={"plan_id": quzhou.plan_id}, headers=auth("office")).json()[
        "data"
    ][0]
    assert (report["late"], report["days_late"], report["submissions"]) == (True, 1, 1)  # due Friday, filed Monday


def test_an_imported_report_keeps_its_version_and_indicator_values(
    reporting_client, reporting_database, quzhou, transport, auth
):
    indicator_id = quzhou.indicator_id("T9-expressway-km")
    value = PastMeasurement(indicator_id=indicator_id, value=251.5, as_of=date(2024, 3, 31))
    load(reporting_database, [past(quzhou, transport["unit_id"], "T9", values=[value])])
    report = reporting_client.get("/v1/reports", params={"plan_id": quzhou.plan_id}, headers=auth("office")).json()[
        "data"
    ][0]
    versions = reporting_client.get(f"/v1/reports/{report['id']}/versions", headers=auth("office")).json()["data"]
    assert [(v["number"], v["outcome"]) for v in versions] == [(1, "accepted")]
    assert [(m["indicator_id"], m["value"]) for m in versions[0]["content"]["measurements"]] == [(indicator_id, 251.5)]


def test_a_report_already_there_fails_the_whole_import(reporting_client, reporting_database, quzhou, transport, auth):
    first = past(quzhou, transport["unit_id"], "T9")
    load(reporting_database, [first])
    with pytest.raises(Exception, match=r"(?i)unique"):
        load(reporting_database, [past(quzhou, transport["unit_id"], "T10"), first])
    listed = reporting_client.get("/v1/reports", params={"plan_id": quzhou.plan_id}, headers=auth("office")).json()[
        "data"
    ]
    assert len(listed) == 1
