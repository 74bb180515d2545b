"""An instruction with an answer date is a duty (督办事项): when it is overdue, pure of I/O.

As reports are judged: on the Beijing business date (services/common/clock.py), late by working days
(services/common/workdays.py). An instruction due on a day is not overdue during that day, to 23:59 Beijing time;
from 00:00 of the next day it is, at least one working day late, whatever the day of the week.
"""

from __future__ import annotations

from datetime import date

from services.common.workdays import workdays_late
from services.reporting_api.instructions.models import InstructionStatus


def days_overdue(status: str, answer_by: date | None, today: date) -> int:
    """Working days an open instruction is past its answer date on `today` (0: not overdue, answered or no duty)."""
    if status != InstructionStatus.OPEN.value or answer_by is None:
        return 0
    return workdays_late(answer_by, today)
