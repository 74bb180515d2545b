"""A unit's duties as an RFC 5545 calendar (built with `icalendar`), as common calendar clients read it:
one all-day event per item deadline, milestone and indicator target, and one per day the unit must report
(listing the items), each with reminders at 09:00 seven days before, the day before and on the day."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event

from services.common.clock import SHANGHAI
from services.common.contracts.tasks import Unit
from services.notify_api.reminders.deadlines import Deadline
from services.notify_api.reminders.report_days import ReportDay

PRODID = "-//duban//notify_api calendar feed//ZH"
TIMEZONE = SHANGHAI.key
# Days before the due date, and what the reminder says. All-day events start at midnight of the subscriber's
# day (floating time; the units' devices are on Beijing time), so each trigger adds ALARM_HOUR to ring at 09:00.
ALARMS = ((7, "还有7天到期"), (1, "明天到期"), (0, "今天到期"))
ALARM_HOUR = 9
KIND_LABELS = {
    "item": "任务到期",
    "milestone": "节点",
    "indicator": "指标目标",
    "report": "报送",
    "instruction": "批示反馈",
}
ROLE_LABELS = {"lead": "牵头", "co": "配合"}
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # the feed's own line ends (CRLF) are kept


def item_link(base_url: str, plan_id: int, item_id: int) -> str:
    return f"{base_url.rstrip('/')}/plans/{plan_id}/items/{item_id}"


def _role(deadline: Deadline, unit_id: int) -> str:
    role = next((u.role for u in deadline.units if u.unit_id == unit_id), "")
    return ROLE_LABELS.get(role, role)


def _summary(deadline: Deadline, role: str) -> str:
    kind = KIND_LABELS.get(deadline.kind, deadline.kind)
    return (
        f"【{role}】{deadline.item_number} {deadline.title}（{kind}）"
        if role
        else f"{deadline.item_number} {deadline.title}（{kind}）"
    )


def _description(deadline: Deadline, role: str, link: str) -> str:
    units = "、".join(f"{u.unit_name}（{ROLE_LABELS.get(u.role, u.role)}）" for u in deadline.units)
    return "\n".join(
        [
            f"事项：{deadline.item_number}（{deadline.item_key}）",
            f"类型：{KIND_LABELS.get(deadline.kind, deadline.kind)}：{deadline.title}",
            f"时限：{deadline.due_on.isoformat()}",
            *([f"本单位职责：{role}"] if role else []),
            f"责任单位：{units}",
            f"详情：{link}",
        ]
    )


def _alarm(summary: str, days_before: int, says: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{summary}：{says}")
    alarm.add("trigger", timedelta(days=-days_before, hours=ALARM_HOUR))
    return alarm


def _event(uid: str, due_on: date, summary: str, stamp: datetime, category: str) -> Event:
    """An all-day event with the reminders; the UID names the duty, so a client updates it in place when it changes."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", due_on)
    event.add("dtend", due_on + timedelta(days=1))
    event.add("summary", summary)
    event.add("categories", ["督办", category])
    event.add("transp", "TRANSPARENT")  # a deadline does not make the day busy
    for days_before, says in ALARMS:
        event.add_component(_alarm(summary, days_before, says))
    return event


def _deadline_event(deadline: Deadline, unit_id: int, base_url: str, stamp: datetime) -> Event:
    role = _role(deadline, unit_id)
    summary, link = _summary(deadline, role), item_link(base_url, deadline.plan_id, deadline.item_id)
    event = _event(
        f"{deadline.kind}-{deadline.id}@duban",
        deadline.due_on,
        summary,
        stamp,
        KIND_LABELS.get(deadline.kind, deadline.kind),
    )
    event.add("description", _description(deadline, role, link))
    event.add("url", link)
    return event


def _report_line(day: ReportDay, deadline: Deadline, base_url: str) -> str:
    role = ROLE_LABELS.get(day.role_of(deadline.item_id), "")
    line = f"{deadline.item_number} {deadline.item_title or deadline.item_key}" + (f"（{role}）" if role else "")
    if (owed := day.titles_of(deadline.item_id)) != day.titles:  # this item owes only some of the day's reports
        line += "：" + "、".join(owed)
    return f"{line}\n  {item_link(base_url, deadline.plan_id, deadline.item_id)}"


def _report_event(day: ReportDay, base_url: str, stamp: datetime) -> Event:
    count = len(day.item_ids)
    summary = f"报送：{'、'.join(day.titles)}（{count}项）"
    # Keyed by unit and day, the grouping itself: the event changes in place as items are added or reported.
    event = _event(f"report-{day.unit_id}-{day.due_on:%Y%m%d}@duban", day.due_on, summary, stamp, "报送")
    firsts = {d.item_id: d for d in reversed(day.deadlines)}
    lines = [_report_line(day, d, base_url) for d in sorted(firsts.values(), key=lambda d: (d.plan_id, d.item_id))]
    event.add("description", "\n".join([f"报送时限：{day.due_on.isoformat()}", f"应报送事项（{count}项）：", *lines]))
    return event


def unit_calendar(
    unit: Unit,
    deadlines: list[Deadline],
    report_days: list[ReportDay],
    *,
    base_url: str,
    stamp: datetime,
) -> bytes:
    """The calendar of the unit's own deadlines (not reports) and of its report days."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{unit.name} · 督办时限")
    calendar.add("x-wr-timezone", TIMEZONE)
    calendar.add("x-published-ttl", "PT1H")
    for deadline in sorted(deadlines, key=lambda d: d.sort_key):
        calendar.add_component(_deadline_event(deadline, unit.id, base_url, stamp))
    for day in report_days:
        calendar.add_component(_report_event(day, base_url, stamp))
    # RFC 5545's TEXT holds no control character but the tab (a line break is written \n): one a title was given
    # through the API made strict clients refuse the whole feed. None is ever part of a UTF-8 sequence of more bytes.
    feed: bytes = _CONTROL.sub(b"", calendar.to_ical())
    return feed
