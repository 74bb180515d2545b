"""A unit's deadlines as an RFC 5545 calendar (built with `icalendar`), as common calendar clients read it:
one all-day event per deadline, with reminders 7 days and 1 day before."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from services.common.clock import SHANGHAI
from services.common.contracts.tasks import Deadline, Unit

PRODID = "-//duban//notify_api calendar feed//ZH"
TIMEZONE = SHANGHAI.key
ALARM_DAYS = (7, 1)
KIND_LABELS = {"item": "任务到期", "milestone": "节点", "indicator": "指标目标"}
ROLE_LABELS = {"lead": "牵头", "co": "配合"}


def item_link(base_url: str, deadline: Deadline) -> str:
    return f"{base_url.rstrip('/')}/plans/{deadline.plan_id}/items/{deadline.item_id}"


def _role(deadline: Deadline, unit_id: int) -> str:
    role = next((u.role for u in deadline.units if u.unit_id == unit_id), "")
    return ROLE_LABELS.get(role, role)


def _summary(deadline: Deadline, role: str) -> str:
    kind = KIND_LABELS.get(deadline.kind, deadline.kind)
    return f"【{role}】{deadline.item_number} {deadline.title}（{kind}）" if role else \
        f"{deadline.item_number} {deadline.title}（{kind}）"


def _description(deadline: Deadline, role: str, link: str) -> str:
    units = "、".join(f"{u.unit_name}（{ROLE_LABELS.get(u.role, u.role)}）" for u in deadline.units)
    return "\n".join([f"事项：{deadline.item_number}（{deadline.item_key}）",
                      f"类型：{KIND_LABELS.get(deadline.kind, deadline.kind)}：{deadline.title}",
                      f"时限：{deadline.due_on.isoformat()}",
                      *([f"本单位职责：{role}"] if role else []),
                      f"责任单位：{units}",
                      f"详情：{link}"])


def _alarm(summary: str, days: int) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"{summary}：还有{days}天到期")
    alarm.add("trigger", timedelta(days=-days))
    return alarm


def _event(deadline: Deadline, unit_id: int, base_url: str, stamp: datetime) -> Event:
    role = _role(deadline, unit_id)
    summary, link = _summary(deadline, role), item_link(base_url, deadline)
    event = Event()
    # Stable per deadline, so a client updates the event in place when the due date moves.
    event.add("uid", f"{deadline.kind}-{deadline.id}@duban")
    event.add("dtstamp", stamp)
    event.add("dtstart", deadline.due_on)
    event.add("dtend", deadline.due_on + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", _description(deadline, role, link))
    event.add("url", link)
    event.add("categories", ["督办", KIND_LABELS.get(deadline.kind, deadline.kind)])
    event.add("transp", "TRANSPARENT")  # a deadline does not make the day busy
    for days in ALARM_DAYS:
        event.add_component(_alarm(summary, days))
    return event


def unit_calendar(unit: Unit, deadlines: list[Deadline], *, base_url: str, stamp: datetime) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{unit.name} · 督办时限")
    calendar.add("x-wr-timezone", TIMEZONE)
    calendar.add("x-published-ttl", "PT1H")
    for deadline in sorted(deadlines, key=lambda d: (d.due_on, d.kind, d.id)):
        calendar.add_component(_event(deadline, unit.id, base_url, stamp))
    return calendar.to_ical()


