"""A report that reached the office and became a draft again (reopened by the office for a correction, or withdrawn
after an earlier version was reviewed) keeps the lateness of its first submission: every reader of the reports
counts it as reached (not missing, not overdue) while its state still says draft."""

from datetime import datetime
from decimal import Decimal

import pytest

from services.common import clock
from services.reporting_api.assessment.schemas import Metric
from services.reporting_api.assessment.scores import unit_tallies
from tests.reporting_api.test_ledger import TRANSPORT, ledger, row_of
from tests.reporting_api.test_obligation_columns import listed
from tests.reporting_api.test_reports import etag_of, file_report, review, submit
from tests.reporting_api.test_rollups import group_named, rollups

ON_TIME = datetime(2024, 4, 8, 10, tzinfo=clock.SHANGHAI)  # 2024-Q1 is due 2024-04-10
REOPENED = datetime(2024, 4, 15, 10, tzinfo=clock.SHANGHAI)
AS_OF = "2024-04-20"  # past the due date: a pair that has not reported is overdue and late


def reopen(client, auth, report_id):
    office = auth("office")
    with clock.frozen(REOPENED):
        response = client.post(
            f"/v1/reports/{report_id}/reopen",
            json={"reason": "里程数据需更正"},
            headers={**office, "If-Match": etag_of(client, office, report_id)},
        )
    assert response.status_code == 200, response.text
    return response.json()


def accepted_on_time(client, auth, quzhou, transport):
    """T9's 2024-Q1 report of its lead unit (the transport bureau), submitted before its due date and accepted."""
    report = file_report(client, transport["headers"], quzhou.item("T9")["id"], period="2024-Q1")
    with clock.frozen(ON_TIME):
        submit(client, transport["headers"], report["id"])
    assert review(client, auth, report["id"], "accept").status_code == 200
    return report


@pytest.fixture
def reopened(reporting_client, auth, quzhou, transport):
    """T9's on-time report, accepted, then reopened by the office: a draft that keeps its own lateness."""
    report = accepted_on_time(reporting_client, auth, quzhou, transport)
    again = reopen(reporting_client, auth, report["id"])
    assert (again["status"], again["late"], again["days_late"]) == ("draft", False, 0)
    assert again["first_submitted_at"] is not None
    return again


def compliance(client, auth, quzhou, transport, **params):
    query = {"period": "2024-Q1", "unit_id": transport["unit_id"], "limit": 500, "as_of": AS_OF, **params}
    response = client.get(f"/v1/plans/{quzhou.plan_id}/compliance", params=query, headers=auth("office"))
    assert response.status_code == 200, response.text
    return response.json()


def test_a_reopened_on_time_report_is_a_draft_in_compliance_neither_late_nor_overdue(
    reporting_client, auth, quzhou, transport, reopened
):
    view = compliance(reporting_client, auth, quzhou, transport)
    row = next(r for r in view["data"] if r["report_id"] == reopened["id"])
    assert (row["state"], row["late"], row["days_late"], row["overdue"]) == ("draft", False, 0, False)


@pytest.mark.parametrize("state", [None, "draft"], ids=["every pair", "filtered by state"])
def test_the_compliance_summary_counts_a_reopened_report_as_a_draft_not_overdue_or_late(
    reporting_client, auth, quzhou, transport, reopened, state
):
    summary = compliance(reporting_client, auth, quzhou, transport, **({"state": state} if state else {}))["summary"]
    assert summary["draft"] == 1
    assert summary["overdue"] == summary["late"] == summary["missing"] == summary["expected"] - 1


def test_a_report_withdrawn_after_an_earlier_version_was_reviewed_is_not_overdue(
    reporting_client, auth, quzhou, transport
):
    headers = transport["headers"]
    report = file_report(reporting_client, headers, quzhou.item("T9")["id"], period="2024-Q1")
    with clock.frozen(ON_TIME):
        submit(reporting_client, headers, report["id"])
    assert review(reporting_client, auth, report["id"], "return", "请补充数据").status_code == 200
    resubmitted = submit(reporting_client, headers, report["id"])
    withdrawn = reporting_client.post(
        f"/v1/reports/{report['id']}/withdraw",
        json={"comment": "再补充"},
        headers={**headers, "If-Match": f'"{resubmitted["version"]}"'},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert (withdrawn.json()["status"], withdrawn.json()["late"]) == ("draft", False)

    row = next(
        r for r in compliance(reporting_client, auth, quzhou, transport)["data"] if r["report_id"] == report["id"]
    )
    assert (row["state"], row["late"], row["overdue"]) == ("draft", False, False)


def test_a_roll_up_counts_a_reopened_report_as_submitted_on_time_and_draft_not_missing_or_overdue(
    reporting_client, auth, quzhou, transport, reopened
):
    row = group_named(rollups(reporting_client, auth, quzhou.plan_id, "unit", as_of=AS_OF), TRANSPORT)
    assert (row["submitted"], row["on_time"], row["late"], row["draft"], row["awaiting_review"]) == (1, 1, 0, 1, 0)
    assert row["missing"] == row["overdue"] == row["expected"] - 1


def red_lights(client, auth, quzhou):
    """The items in red, as the lights view and as a roll-up (by kind) count them, after the due date."""
    view = client.get(
        f"/v1/plans/{quzhou.plan_id}/traffic-lights",
        params={"period": "2024-Q1", "limit": 500, "as_of": AS_OF},
        headers=auth("office"),
    ).json()
    t9 = next(r for r in view["data"] if r["item_key"] == "T9")
    rolled = sum(row["lights"]["red"] for row in rollups(client, auth, quzhou.plan_id, "kind", as_of=AS_OF)["data"])
    return t9["reasons"], view["summary"]["red"], rolled


def test_the_lead_report_reopened_does_not_turn_its_item_red_for_a_missing_report(
    reporting_client, auth, quzhou, transport
):
    report = accepted_on_time(reporting_client, auth, quzhou, transport)
    _, red, rolled = red_lights(reporting_client, auth, quzhou)
    reopen(reporting_client, auth, report["id"])
    reasons, red_after, rolled_after = red_lights(reporting_client, auth, quzhou)
    assert "overdue_without_report" not in reasons
    assert (red_after, rolled_after) == (red, rolled)


def test_the_ledger_shows_a_reopened_report_as_a_draft_with_its_own_lateness(reporting_client, auth, quzhou, reopened):
    with clock.frozen(datetime(2024, 5, 1, 9, 0, tzinfo=clock.SHANGHAI)):
        _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
    row = row_of(rows, "T9", TRANSPORT)
    assert (row["报送状态"], row["是否逾期"], row["逾期工作日数"]) == ("草稿", "否", 0)


def test_a_reopened_report_is_not_pending_so_no_reminder_is_sent_for_it(
    reporting_client, auth, quzhou, transport, reopened
):
    owed = [r for r in listed(reporting_client, quzhou.plan_id, auth("service")) if r["report_id"] == reopened["id"]]
    assert [(r["state"], r["overdue"], r["late"]) for r in owed] == [("draft", False, False)]
    pending = listed(reporting_client, quzhou.plan_id, auth("service"), pending="true")
    assert reopened["id"] not in {r["report_id"] for r in pending}
    assert any(r["item_id"] == quzhou.item("T9")["id"] for r in owed)


def test_the_assessment_counts_a_reopened_report_as_reached_on_time():
    row = {"item_id": 1, "unit_id": 7, "role": "lead", "owed": True, "report_id": 3}
    row |= {"state": "draft", "late": False, "overdue": False}  # reopened after its review
    snapshot = {
        "due_on": "2024-04-10",
        "compliance": {"data": [row]},
        "reports": [{"report_id": 3, "item_id": 1, "unit_id": 7, "first_outcome": "accepted"}],
        "indicators": [],
        "traffic_lights": {"data": []},
        "responsibilities": [{"item_id": 1, "unit_id": 7, "role": "lead"}],
    }
    on_time = unit_tallies([snapshot])[7].parts[Metric.ON_TIME]
    assert (on_time.achieved, on_time.out_of) == (Decimal(1), Decimal(1))
