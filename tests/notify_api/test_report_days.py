"""Report deadlines grouped by (unit, due date), whatever grain the reader yields them at."""

from __future__ import annotations

from datetime import date

from services.notify_api.reminders.deadlines import Deadline, Duty
from services.notify_api.reminders.report_days import report_days

DUE = date(2025, 10, 10)
TRANSPORT, CULTURE = Duty(1, "市交通运输局", "lead"), Duty(2, "市文旅局", "co")


ROAD_NETWORK = "完善便捷通达公路网络建设"


def report(item_id: int, title: str, period: str | None, *units: Duty, due_on: date = DUE) -> Deadline:
    key, number = f"T{item_id}", str(item_id)
    return Deadline("report", 100 + item_id, 1, item_id, key, number, f"事项{item_id}", title, due_on, units, period)


def test_one_deadline_per_period_kind_makes_one_day_per_unit():
    found = report_days(
        [
            report(9, "2025年第三季度进展报告", "2025-Q3", TRANSPORT),
            report(9, "2025年前三季度进展报告", "2025-9M", TRANSPORT),
            report(10, "2025年第三季度进展报告", "2025-Q3", TRANSPORT),
        ]
    )
    [day] = found
    assert (day.unit_id, day.due_on, day.item_ids) == (1, DUE, (9, 10))
    assert day.titles == ("2025年第三季度进展报告", "2025年前三季度进展报告")
    assert day.titles_of(10) == ("2025年第三季度进展报告",)


def test_one_deadline_per_item_and_due_date_makes_the_same_day():
    [day] = report_days(
        [report(9, "2025年第三季度梳理", None, TRANSPORT), report(10, "2025年第三季度梳理", None, TRANSPORT)]
    )
    assert (day.unit_id, day.due_on, day.item_ids, day.titles) == (1, DUE, (9, 10), ("2025年第三季度梳理",))


def test_units_and_due_dates_are_apart_and_other_kinds_are_left_out():
    later = date(2026, 1, 12)
    found = report_days(
        [
            report(9, "季度梳理", None, TRANSPORT, CULTURE),
            report(9, "年度汇总", None, TRANSPORT, due_on=later),
            Deadline("item", 9, 1, 9, "T9", "9", ROAD_NETWORK, ROAD_NETWORK, DUE, (TRANSPORT,)),
        ]
    )
    assert [(d.unit_id, d.due_on, d.item_ids) for d in found] == [(1, DUE, (9,)), (2, DUE, (9,)), (1, later, (9,))]
    assert (found[0].role_of(9), found[1].role_of(9)) == ("lead", "co")
