"""The shapes the reminders room builds, typed for the checker (dicts at run time, so encoding them costs nothing):
the upcoming-deadlines view and the bulletin (the router's models on the wire), the rendered message of a notice or
a digest (the `payload` every channel reads) and the outbox row a dispatch writes."""

from __future__ import annotations

from datetime import date, datetime
from typing import NotRequired, TypedDict

Day = date  # a key named `date` below would otherwise shadow the type in its own class body


class UnitDutyRow(TypedDict):
    unit_id: int
    unit_name: str
    role: str  # lead (牵头) or co (配合)


class ReportItemRow(TypedDict):
    item_id: int
    item_key: str
    item_number: str
    item_title: str
    role: str
    period: str
    report_type: str


class UpcomingRow(TypedDict):
    """A deadline coming up (UpcomingDeadline on the wire)."""

    kind: str
    id: int
    plan_id: int
    item_id: int
    item_key: str
    item_number: str
    item_title: str
    title: str
    period: str | None
    due_on: date
    units: list[UnitDutyRow]
    days_left: int
    workdays_left: int
    official_calendar: bool
    items: list[ReportItemRow]


class UpcomingView(TypedDict):
    """The upcoming deadlines of a window: `limit + 1` rows after the cursor, for the router to page."""

    as_of: date
    until: date
    unit_id: int | None
    official_calendar: bool
    rows: list[UpcomingRow]


class LeaderRefRow(TypedDict):
    id: int
    name: str


class BulletinDeadlineRow(TypedDict):
    kind: str
    id: int
    title: str
    period: str | None
    due_on: date
    days_overdue: int
    workdays_overdue: int
    step: str


class BulletinItemRow(TypedDict):
    """An item on a red bulletin (BulletinItem on the wire)."""

    item_id: int
    item_key: str
    item_number: str
    item_title: str
    units: list[UnitDutyRow]
    deadlines: list[BulletinDeadlineRow]
    lead_leaders: list[LeaderRefRow]
    days_overdue: int


class BulletinView(TypedDict):
    plan_id: int
    plan_title: str
    date: Day
    count: int
    items: list[BulletinItemRow]


class NoticeItemData(TypedDict):
    item_id: int
    item_number: str
    item_title: str
    role: str
    period: str
    report_type: str


class DaysLeft(TypedDict):
    days_left: int
    workdays_left: int


class DaysOverdue(TypedDict):
    days_overdue: int
    workdays_overdue: int


class NoticeData(TypedDict):
    """A notice's machine-readable fields (payload.data); days left before the due date, overdue after it."""

    plan_id: int
    plan_title: str
    item_id: int
    item_number: str
    item_title: str
    deadline_kind: str
    deadline_id: int
    deadline_title: str
    period: str | None
    due_on: str  # ISO date
    days_left: NotRequired[int]
    workdays_left: NotRequired[int]
    days_overdue: NotRequired[int]
    workdays_overdue: NotRequired[int]
    official_calendar: bool
    role: str | None
    units: list[UnitDutyRow]
    level: str
    step: str
    notice_on: str  # ISO date
    link: str
    items: list[NoticeItemData]


class EscalationData(NoticeData):
    """notice.escalated's data: the notice, its lead unit (the subscribers' filter) and the item's lead leaders."""

    unit_id: int
    lead_leader_ids: list[int]


class DigestData(TypedDict):
    digest: bool
    notice_on: str
    level: str
    count: int
    reminders: list[NoticeData]


class NoticePayload(TypedDict):
    """A rendered notice: subject, plain text, markdown (DingTalk, WeCom) and its data."""

    subject: str
    text: str
    markdown: str
    data: NoticeData


class DigestPayload(TypedDict):
    subject: str
    text: str
    markdown: str
    data: DigestData


class Delivery(TypedDict):
    """Who gets an outbox row, on which contact, and its delivery state."""

    recipient_kind: str
    recipient_id: int
    contact_id: int
    channel: str
    webhook_id: str
    status: str
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    last_error: str | None
    dispatch_id: int
    created_at: datetime
    delivered_at: datetime | None
    read_at: datetime | None


class OutboxRow(Delivery):
    """A notification a dispatch writes (every column but id)."""

    dedupe_key: str
    purpose: str  # reminder or digest
    level: str
    step: str
    payload: NoticePayload | DigestPayload
    plan_id: int | None
    item_id: int | None
    unit_id: int | None
    deadline_kind: str | None
    deadline_id: int | None
    due_on: date | None
