"""Due dates the office moves after reports were filed: each filed report is judged again on the date in force.

README: "Each report is due `due_days_after_period` days after its period ends … (or on the date the office set for
that period)", and "`late` is true once the Beijing date is after the due date". A report filed before the move is
judged as one filed after it would be: on time before the new date, late by the working days after it.
"""

from datetime import datetime

from services.common import clock
from tests.problems import assert_problem
from tests.reporting_api.test_assessment import close
from tests.reporting_api.test_reports import etag_of, file_report, submit

APRIL_8 = datetime(2024, 4, 8, 10, tzinfo=clock.SHANGHAI)  # 2024-Q1 is due 2024-04-10 (Wednesday): on time
APRIL_12 = datetime(2024, 4, 12, 10, tzinfo=clock.SHANGHAI)  # 2 working days after 2024-04-10


def filed(client, headers, item_id, at, period="2024-Q1"):
    report = file_report(client, headers, item_id, period=period)
    with clock.frozen(at):
        return submit(client, headers, report["id"])


def move_due_date(client, auth, plan_id, period, due_on):
    return client.put(f"/v1/plans/{plan_id}/periods/{period}/due-date", json={"due_on": due_on}, headers=auth("office"))


def set_due_days(client, auth, plan_id, days):
    patched = client.patch(
        f"/v1/plans/{plan_id}/rules",
        json={"due_days_after_period": days},
        headers=auth("office", **{"If-Match": '"0"'}),
    )
    assert patched.status_code == 200, patched.text


def report_of(client, headers, report_id):
    response = client.get(f"/v1/reports/{report_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def lateness(report):
    return report["due_on"], report["late"], report["days_late"]


def test_a_report_filed_before_an_extended_due_date_is_on_time(reporting_client, auth, quzhou, transport):
    client, headers = reporting_client, transport["headers"]
    report = filed(client, headers, quzhou.item("T9")["id"], APRIL_12)
    assert report["days_late"] == 2

    assert move_due_date(client, auth, quzhou.plan_id, "2024-Q1", "2024-04-19").status_code == 204

    assert lateness(report_of(client, headers, report["id"])) == ("2024-04-19", False, 0)


def test_compliance_shows_the_report_judged_on_the_extended_due_date(reporting_client, auth, quzhou, transport):
    client, headers = reporting_client, transport["headers"]
    report = filed(client, headers, quzhou.item("T9")["id"], APRIL_12)
    move_due_date(client, auth, quzhou.plan_id, "2024-Q1", "2024-04-19")
    view = client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance",
        params={"period": "2024-Q1", "unit_id": transport["unit_id"], "limit": 500, "as_of": "2024-04-16"},
        headers=auth("office"),
    ).json()
    row = next(r for r in view["data"] if r["report_id"] == report["id"])
    assert (row["due_on"], row["late"], row["days_late"]) == ("2024-04-19", False, 0)


def test_a_report_filed_after_a_due_date_moved_earlier_is_late(reporting_client, auth, quzhou, transport):
    client, headers = reporting_client, transport["headers"]
    report = filed(client, headers, quzhou.item("T9")["id"], APRIL_8)
    assert report["late"] is False

    move_due_date(client, auth, quzhou.plan_id, "2024-Q1", "2024-04-03")

    # After 2024-04-03: 04-04 to 04-06 are the Qingming holiday, 04-07 (a Sunday) its make-up working day, then 04-08.
    assert lateness(report_of(client, headers, report["id"])) == ("2024-04-03", True, 2)


def test_a_report_judged_again_has_a_new_etag(reporting_client, auth, quzhou, transport):
    client, headers = reporting_client, transport["headers"]
    report = filed(client, headers, quzhou.item("T9")["id"], APRIL_12)
    etag = etag_of(client, headers, report["id"])

    move_due_date(client, auth, quzhou.plan_id, "2024-Q1", "2024-04-19")

    assert etag_of(client, headers, report["id"]) != etag


def test_changing_the_days_after_a_period_its_reports_are_due_judges_filed_reports_again(
    reporting_client, auth, quzhou, transport
):
    client, headers = reporting_client, transport["headers"]
    report = filed(client, headers, quzhou.item("T9")["id"], APRIL_12)
    set_due_days(client, auth, quzhou.plan_id, 15)

    # 2024-03-31 + 15 days = 2024-04-15, a Monday: a report filed on 04-12 came before it.
    assert lateness(report_of(client, headers, report["id"])) == ("2024-04-15", False, 0)


def test_the_due_date_of_a_closed_period_cannot_move_and_its_reports_keep_their_lateness(
    reporting_client, auth, quzhou, transport
):
    client, headers = reporting_client, transport["headers"]
    report = filed(client, headers, quzhou.item("T9")["id"], APRIL_12)
    assert close(client, auth, quzhou.plan_id, "2024-Q1").status_code == 201

    assert_problem(move_due_date(client, auth, quzhou.plan_id, "2024-Q1", "2024-04-19"), 409)

    assert lateness(report_of(client, headers, report["id"])) == ("2024-04-10", True, 2)


def test_a_rules_change_leaves_the_reports_of_closed_periods_as_judged(reporting_client, auth, quzhou, transport):
    client, headers = reporting_client, transport["headers"]
    report = filed(client, headers, quzhou.item("T9")["id"], APRIL_12)
    assert close(client, auth, quzhou.plan_id, "2024-Q1").status_code == 201
    set_due_days(client, auth, quzhou.plan_id, 15)

    assert lateness(report_of(client, headers, report["id"])) == ("2024-04-10", True, 2)
