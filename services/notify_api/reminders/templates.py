"""The Chinese texts of notices (督办单) and daily digests, rendered into the payload every channel reads:
{"subject", "text" (plain), "markdown" (DingTalk/WeCom), "data" (machine-readable fields)}."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from services.notify_api.deliveries.models import Level
from services.notify_api.reminders.deadlines import ROLE_LABEL, Deadline, Duty
from services.notify_api.reminders.schemas import DaysLeft, DaysOverdue, DigestPayload, NoticeData, NoticePayload
from services.notify_api.reminders.steps import LEVEL_RANK, Step, countdown

LEVEL_TAG = {Level.BLUE: "提醒", Level.YELLOW: "催办", Level.RED: "督办"}
LEVEL_NAME = {Level.BLUE: "蓝色提醒单", Level.YELLOW: "黄色催办单", Level.RED: "红色督办单"}
ESCALATED = "已超过升级时限，抄送牵头市领导和领导小组办公室，并列入逾期事项通报。"


class Notice(NamedTuple):
    """One step of one deadline, as one recipient reads it."""

    deadline: Deadline
    step: Step
    today: date
    plan_title: str
    item_title: str
    link: str
    units: tuple[Duty, ...]  # the units the notice is about
    role: str | None = None  # the recipient unit's role; None for leaders and the office


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _what(deadline: Deadline) -> str:
    if deadline.kind == "milestone":
        return f"节点“{deadline.title}”"
    if deadline.kind == "indicator":
        return f"指标“{deadline.title}”目标"
    if deadline.kind == "report":
        return deadline.title
    if deadline.kind == "instruction":
        return f"{deadline.title}的落实反馈"
    return "事项完成时限"


def _status(notice: Notice) -> str:
    left = countdown(notice.today, notice.deadline.due_on)
    if left.days > 0:
        return f"还剩{left.days}天（{left.workdays}个工作日）"
    if left.days == 0:
        return "今日到期"
    return f"已逾期{-left.workdays}个工作日"


def _units(notice: Notice) -> str:
    return "、".join(f"{u.unit_name}（{ROLE_LABEL.get(u.role, u.role)}）" for u in notice.units)


def _subject(notice: Notice) -> str:
    return _subject_of(notice, _what(notice.deadline), _status(notice), _units(notice))


def _subject_of(notice: Notice, what: str, status: str, units: str) -> str:
    """The subject, of the parts the body shows too (a notice's are worked out once: a day renders 100,000)."""
    d, tag = notice.deadline, LEVEL_TAG[notice.step.level]
    if d.items:  # a unit's reports due that day: the items are listed in the body
        return f"【{tag}】{units}：{what}{status}"
    return f"【{tag}】{d.item_number} {notice.item_title}：{what}{status}"


def _items(notice: Notice) -> str:
    """The items of a report deadline, as the body lists them."""
    return "；".join(
        f"{i.item_number} {i.item_title}（{ROLE_LABEL.get(i.role, i.role)}，{i.period}）" for i in notice.deadline.items
    )


def notice_data(notice: Notice) -> NoticeData:
    d, left = notice.deadline, countdown(notice.today, notice.deadline.due_on)
    timing: DaysLeft | DaysOverdue = (
        {"days_left": left.days, "workdays_left": left.workdays}
        if left.days >= 0
        else {"days_overdue": -left.days, "workdays_overdue": -left.workdays}
    )
    return {
        "plan_id": d.plan_id,
        "plan_title": notice.plan_title,
        "item_id": d.item_id,
        "item_number": d.item_number,
        "item_title": notice.item_title,
        "deadline_kind": d.kind,
        "deadline_id": d.id,
        "deadline_title": d.title,
        "period": d.period,
        "due_on": d.due_on.isoformat(),
        **timing,
        "official_calendar": left.official_calendar,
        "role": notice.role,
        "units": [{"unit_id": u.unit_id, "unit_name": u.unit_name, "role": u.role} for u in notice.units],
        "level": notice.step.level.value,
        "step": notice.step.name,
        "notice_on": notice.today.isoformat(),
        "link": notice.link,
        "items": [
            {
                "item_id": i.item_id,
                "item_number": i.item_number,
                "item_title": i.item_title,
                "role": i.role,
                "period": i.period,
                "report_type": i.report_type,
            }
            for i in d.items
        ],
    }


def render_notice(notice: Notice) -> NoticePayload:
    d = notice.deadline
    what, status, units = _what(d), _status(notice), _units(notice)
    about = ("报送事项", _items(notice)) if d.items else ("事项", f"{d.item_number} {notice.item_title}")
    lines = [
        ("计划", notice.plan_title),
        about,
        ("时限", f"{what}，{chinese_date(d.due_on)}"),
        ("状态", status),
        ("责任单位", units),
    ]
    extra = [ESCALATED] if notice.step.level is Level.RED else []
    subject = _subject_of(notice, what, status, units)
    text = "\n".join(
        [
            f"{LEVEL_NAME[notice.step.level]}：{subject}",
            *(f"{k}：{v}" for k, v in lines),
            *extra,
            f"查看详情：{notice.link}",
        ]
    )
    markdown = "\n".join(
        [
            f"#### {subject}",
            "",
            *(f"- **{k}**：{v}" for k, v in lines),
            "",
            *(f"> {line}" for line in extra),
            f"[查看详情]({notice.link})",
        ]
    )
    return {"subject": subject, "text": text, "markdown": markdown, "data": notice_data(notice)}


def top_level(notices: list[Notice]) -> Level:
    return max((n.step.level for n in notices), key=LEVEL_RANK.__getitem__)


def render_digest(day: date, notices: list[Notice]) -> DigestPayload:
    """One message listing every notice a recipient has on a day (每日汇总)."""
    counts = "、".join(
        f"{LEVEL_TAG[level]}{n}项"
        for level in LEVEL_TAG
        if (n := sum(notice.step.level is level for notice in notices))
    )
    subject = f"【督办日报】{chinese_date(day)}：共{len(notices)}项（{counts}）"
    entries = [(_subject(n), _units(n), n.link) for n in notices]
    text = "\n".join([subject, *(f"{i}. {s}；{u}\n   {link}" for i, (s, u, link) in enumerate(entries, 1))])
    markdown = "\n".join(
        [f"#### {subject}", "", *(f"{i}. [{s}]({link})；{u}" for i, (s, u, link) in enumerate(entries, 1))]
    )
    return {
        "subject": subject,
        "text": text,
        "markdown": markdown,
        "data": {
            "digest": True,
            "notice_on": day.isoformat(),
            "level": top_level(notices).value,
            "count": len(notices),
            "reminders": [notice_data(n) for n in notices],
        },
    }
