"""reporting_api's transactional outbox: report.submitted, report.returned and report.accepted are written exactly
when the submission or the review commits."""

from __future__ import annotations

import pytest

from services.common.problems import Conflict
from services.reporting_api.db import outbox_events
from services.reporting_api.reports import workflow as reports
from tests.problems import assert_problem
from tests.reporting_api.test_reports import TRANSPORT, file_report, review, submit
from tests.tasks_api.test_outbox import assert_as_declared, events


@pytest.fixture
def t9(quzhou):
    return quzhou.item("T9")


def outbox(url):
    return events(url, outbox_events)


def test_filing_a_draft_emits_nothing(reporting_client, reporting_database, t9, transport):
    file_report(reporting_client, transport["headers"], t9["id"])
    assert outbox(reporting_database) == []


def test_submitting_a_report_emits_report_submitted(reporting_client, reporting_database, quzhou, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    [event] = outbox(reporting_database)
    assert event["type"] == "report.submitted"
    assert {
        k: event["data"][k]
        for k in ("report_id", "plan_id", "item_id", "unit_id", "role", "period", "submission", "submitted_by")
    } == {
        "report_id": report["id"],
        "plan_id": quzhou.plan_id,
        "item_id": t9["id"],
        "unit_id": transport["unit_id"],
        "role": "lead",
        "period": "2024-Q1",
        "submission": 1,
        "submitted_by": f"test-unit-{transport['unit_id']}",
    }
    assert event["published_at"] is None


def test_reviews_emit_report_returned_then_report_accepted(reporting_client, reporting_database, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    assert review(reporting_client, auth, report["id"], "return", "请补充里程数据").status_code == 200
    submit(reporting_client, transport["headers"], report["id"])
    assert review(reporting_client, auth, report["id"], "accept").status_code == 200
    found = outbox(reporting_database)
    assert [e["type"] for e in found] == ["report.submitted", "report.returned", "report.submitted", "report.accepted"]
    assert (found[1]["data"]["comment"], found[1]["data"]["reviewed_by"]) == ("请补充里程数据", "test-office-0")
    assert [e["data"]["submission"] for e in found] == [1, 1, 2, 2]


def test_report_events_name_the_item_and_the_unit_and_say_the_status_after_the_step(
    reporting_client, reporting_database, auth, t9, transport
):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    review(reporting_client, auth, report["id"], "accept")
    found = [e["data"] for e in outbox(reporting_database)]
    assert [(d["item_number"], d["item_title"], d["unit_name"]) for d in found] == [
        (t9["number"], t9["title"], TRANSPORT)
    ] * 2
    assert [(d["report_type"], d["status"], d["due_on"]) for d in found] == [
        ("quarterly", "submitted", found[0]["due_on"]),
        ("quarterly", "accepted", found[0]["due_on"]),
    ]


def test_every_report_event_is_what_its_catalogue_model_declares(
    reporting_client, reporting_database, auth, t9, transport
):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    headers = transport["headers"]
    submit(reporting_client, headers, report["id"])
    assert reporting_client.post(f"/v1/reports/{report['id']}/withdraw", headers=headers).status_code == 200
    submit(reporting_client, headers, report["id"])
    review(reporting_client, auth, report["id"], "return", "请补充里程数据")
    found = outbox(reporting_database)
    assert {e["type"] for e in found} == {"report.submitted", "report.withdrawn", "report.returned"}
    assert_as_declared(found)


def test_a_refused_review_emits_nothing(reporting_client, reporting_database, auth, t9, transport):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    assert_problem(review(reporting_client, auth, report["id"], "accept"), 409)
    assert outbox(reporting_database) == []


def test_a_failure_after_the_emit_rolls_back_the_event_with_the_submission(
    reporting_client, reporting_database, t9, transport, monkeypatch
):
    real_emit = reports.emit

    async def emit_then_fail(*args, **kwargs):
        await real_emit(*args, **kwargs)
        raise Conflict("forced failure after the event was written")

    report = file_report(reporting_client, transport["headers"], t9["id"])
    monkeypatch.setattr(reports, "emit", emit_then_fail)
    response = reporting_client.post(f"/v1/reports/{report['id']}/submit", headers=transport["headers"])
    assert_problem(response, 409)
    assert outbox(reporting_database) == []
    read = reporting_client.get(f"/v1/reports/{report['id']}", headers=transport["headers"]).json()
    assert (read["status"], read["submissions"]) == ("draft", 0)


def test_a_withdrawal_and_a_reopening_emit_report_withdrawn_and_report_reopened(
    reporting_client, reporting_database, auth, t9, transport
):
    report = file_report(reporting_client, transport["headers"], t9["id"])
    submit(reporting_client, transport["headers"], report["id"])
    withdrawn = reporting_client.post(
        f"/v1/reports/{report['id']}/withdraw", json={"comment": "数据有误"}, headers=transport["headers"]
    )
    assert withdrawn.status_code == 200, withdrawn.text
    submit(reporting_client, transport["headers"], report["id"])
    review(reporting_client, auth, report["id"], "accept")
    reopened = reporting_client.post(
        f"/v1/reports/{report['id']}/reopen", json={"reason": "里程数据需更正"}, headers=auth("office")
    )
    assert reopened.status_code == 200, reopened.text
    found = outbox(reporting_database)
    assert [e["type"] for e in found] == [
        "report.submitted",
        "report.withdrawn",
        "report.submitted",
        "report.accepted",
        "report.reopened",
    ]
    assert found[1]["data"]["comment"] == "数据有误"
    assert (found[4]["data"]["reason"], found[4]["data"]["reopened_by"]) == ("里程数据需更正", "test-office-0")
