"""Lateness is judged on the Beijing business day and counted in official working days (逾期工作日数).

2024-Q1 is due on 2024-04-10: it is on time until 23:59 Beijing time that day (15:59Z) and late from 00:01 on
the 11th (16:01Z the 10th, still the 10th in UTC). Across the National Day holiday of 2024 (1-7 October, with
the make-up working days Sunday 29 September and Saturday 12 October) lateness counts only working days.
"""

from datetime import UTC, datetime

import pytest

from services.common import clock
from tests.reporting_api.test_compliance import compliance, row_of
from tests.reporting_api.test_reports import file_report, submit
from tests.reporting_api.test_traffic_lights import light_of_t9

LAST_MINUTE = datetime(2024, 4, 10, 15, 59, tzinfo=UTC)  # 23:59 Beijing on the due date
FIRST_MINUTE = datetime(2024, 4, 10, 16, 1, tzinfo=UTC)  # 00:01 Beijing the day after


def submitted_at(client, transport, item_id, instant, period="2024-Q1"):
    report = file_report(client, transport["headers"], item_id, period=period)
    with clock.frozen(instant):
        return submit(client, transport["headers"], report["id"])


def t9_compliance_row(client, auth, quzhou, transport, period="2024-Q1"):
    return row_of(
        compliance(client, auth("office"), quzhou.plan_id, period=period), quzhou.item("T9")["id"], transport["unit_id"]
    )


def move_due_date(client, auth, plan_id, period, due_on):
    moved = client.put(
        f"/v1/plans/{plan_id}/periods/{period}/due-date", json={"due_on": due_on}, headers=auth("office")
    )
    assert moved.status_code == 204, moved.text


# -- the Beijing day --------------------------------------------------------------------------------------------


def test_a_report_submitted_at_2359_beijing_on_its_due_date_is_on_time(reporting_client, quzhou, transport):
    submitted = submitted_at(reporting_client, transport, quzhou.item("T9")["id"], LAST_MINUTE)
    assert (submitted["late"], submitted["days_late"]) == (False, 0)


def test_a_report_submitted_at_0001_beijing_the_next_day_is_late_by_one_working_day(
    reporting_client, quzhou, transport
):
    submitted = submitted_at(reporting_client, transport, quzhou.item("T9")["id"], FIRST_MINUTE)
    assert (submitted["late"], submitted["days_late"]) == (True, 1)


def test_the_version_records_the_same_lateness(reporting_client, auth, quzhou, transport):
    submitted = submitted_at(reporting_client, transport, quzhou.item("T9")["id"], FIRST_MINUTE)
    versions = reporting_client.get(f"/v1/reports/{submitted['id']}/versions", headers=auth("office")).json()["data"]
    [version] = versions
    assert (version["late"], version["days_late"]) == (True, 1)


def test_a_missing_report_is_not_overdue_at_2359_beijing_on_its_due_date(reporting_client, auth, quzhou, transport):
    with clock.frozen(LAST_MINUTE):
        row = t9_compliance_row(reporting_client, auth, quzhou, transport)
    assert (row["overdue"], row["late"], row["days_late"]) == (False, False, 0)


def test_a_missing_report_is_overdue_at_0001_beijing_the_next_day(reporting_client, auth, quzhou, transport):
    with clock.frozen(FIRST_MINUTE):
        row = t9_compliance_row(reporting_client, auth, quzhou, transport)
    assert (row["overdue"], row["late"], row["days_late"]) == (True, True, 1)


def test_the_light_turns_red_at_beijing_midnight_not_utc_midnight(reporting_client, auth, quzhou):
    with clock.frozen(LAST_MINUTE):
        assert light_of_t9(reporting_client, auth, quzhou) == ("yellow", ["due_soon_without_report"])
    with clock.frozen(FIRST_MINUTE):
        assert light_of_t9(reporting_client, auth, quzhou) == ("red", ["overdue_without_report"])


# -- working days across 调休 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("beijing_day", "days_late"),
    [
        ("2024-09-30", 0),  # the due date itself
        ("2024-10-02", 1),  # in the holiday: late, and never 0 days late
        ("2024-10-08", 1),  # the first working day after the holiday
        ("2024-10-12", 5),  # Saturday, a make-up working day: 8, 9, 10, 11 and 12 October
        ("2024-10-14", 6),  # Sunday 13 is off
    ],
)
def test_lateness_counts_official_working_days_across_national_day(
    reporting_client, auth, quzhou, transport, beijing_day, days_late
):
    move_due_date(reporting_client, auth, quzhou.plan_id, "2024-Q3", "2024-09-30")
    instant = datetime.fromisoformat(f"{beijing_day}T10:00").replace(tzinfo=clock.SHANGHAI)
    submitted = submitted_at(reporting_client, transport, quzhou.item("T9")["id"], instant, period="2024-Q3")
    assert (submitted["late"], submitted["days_late"]) == (days_late > 0, days_late)


def test_a_missing_report_counts_working_days_overdue_across_national_day(reporting_client, auth, quzhou, transport):
    move_due_date(reporting_client, auth, quzhou.plan_id, "2024-Q3", "2024-09-30")
    with clock.frozen(datetime(2024, 10, 12, 10, 0, tzinfo=clock.SHANGHAI)):
        row = t9_compliance_row(reporting_client, auth, quzhou, transport, period="2024-Q3")
    assert (row["overdue"], row["late"], row["days_late"]) == (True, True, 5)


def test_a_missing_report_due_on_new_years_eve_2026_is_one_working_day_overdue_on_monday_4_january_2027(
    reporting_client, auth, quzhou, transport
):
    # 2027 is not in the official calendar yet; 1 January (Friday) is New Year's Day all the same
    move_due_date(reporting_client, auth, quzhou.plan_id, "2025", "2026-12-31")
    with clock.frozen(datetime(2027, 1, 4, 10, 0, tzinfo=clock.SHANGHAI)):
        row = t9_compliance_row(reporting_client, auth, quzhou, transport, period="2025")
    assert (row["overdue"], row["late"], row["days_late"]) == (True, True, 1)
