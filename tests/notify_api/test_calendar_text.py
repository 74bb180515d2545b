"""The unit calendar's texts as RFC 5545 allows them (services/notify_api/calendars/ics.py)."""

from datetime import UTC, date, datetime

from icalendar import Calendar

from services.common.contracts.tasks import Unit
from services.notify_api.calendars.ics import unit_calendar
from services.notify_api.reminders.deadlines import Deadline, Duty


def test_a_title_holding_control_characters_is_written_without_them():
    # TEXT holds no control character but the tab; strict clients refused the whole feed for one such title.
    deadline = Deadline(
        "item",
        9,
        1,
        9,
        "T9",
        "9",
        "加快\x0b建设\x07",
        "加快\x0b建设\x07\t交通",
        date(2026, 3, 31),
        (Duty(3, "市交通运输局", "lead"),),
    )
    unit = Unit(id=3, name="市交通运输局", kind="department")
    feed = unit_calendar(
        unit, [deadline], [], base_url="https://duban.example.cn", stamp=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert not [byte for byte in feed if (byte < 0x20 and byte not in b"\t\r\n") or byte == 0x7F]
    [event] = Calendar.from_ical(feed).walk("VEVENT")
    assert "加快建设\t交通" in str(event["summary"])
