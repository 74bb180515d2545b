"""逾期工作日数: working days after the due date on the official calendar, at least 1 once late."""

from datetime import date

import pytest

from services.common.workdays import workdays_late


@pytest.mark.parametrize(
    ("due_on", "on", "expected"),
    [
        (date(2024, 9, 30), date(2024, 9, 30), 0),  # on the due date: on time
        (date(2024, 9, 30), date(2024, 9, 2), 0),  # before it
        (date(2024, 4, 10), date(2024, 4, 11), 1),  # the next working day
        (date(2024, 4, 12), date(2024, 4, 13), 1),  # the Saturday after a Friday due date: late, never 0
        (date(2024, 4, 12), date(2024, 4, 15), 1),  # ... and still 1 on the Monday
        (date(2024, 9, 28), date(2024, 9, 29), 1),  # Sunday 29 September 2024 is a make-up working day
        (date(2024, 9, 30), date(2024, 10, 7), 1),  # the whole National Day holiday is one working day late at most
        (date(2024, 9, 30), date(2024, 10, 12), 5),  # Saturday 12 October is a make-up working day
        # 2027 is not published yet: New Year's Day (Friday 1 January) is still a holiday, so Monday 4 January is
        # the first working day after a 31 December 2026 due date
        (date(2026, 12, 31), date(2027, 1, 4), 1),
        (date(2027, 2, 4), date(2027, 2, 9), 1),  # 除夕 Friday 5 February … 初三 Monday 8 February are holidays
    ],
)
def test_working_days_late(due_on, on, expected):
    assert workdays_late(due_on, on) == expected
