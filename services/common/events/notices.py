"""The payloads of the notices notify_api publishes as events: notice.escalated when a deadline's notice turns red
(红色督办单), notice.urged when the office urges a unit (催办)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class NoticeUnit(BaseModel):
    """A unit the notice is about, with its role on the item."""

    unit_id: int
    unit_name: str
    role: str = Field(description="lead (牵头) or co (配合).")


class NoticeItem(BaseModel):
    """An item a report deadline lists (one report day covers several items)."""

    item_id: int
    item_number: str
    item_title: str
    role: str = Field(description="The unit's role on the item: lead or co.")
    period: str = Field(description="The period the report is owed for.")
    report_type: str = Field(description="monthly, quarterly, half_year or annual.")


class NoticeEscalatedData(BaseModel):
    """notice.escalated: a deadline's notice turned red (红色督办单), sent once per deadline, due date and step."""

    plan_id: int
    plan_title: str
    item_id: int
    item_number: str
    item_title: str
    deadline_kind: str = Field(description="item, milestone, indicator or report: what is due.")
    deadline_id: int = Field(description="The id of what is due, of its kind.")
    deadline_title: str = Field(description="What is due, as people read it.")
    period: str | None = Field(description="The reporting period of a report deadline; null otherwise.")
    due_on: date
    days_left: int | None = Field(None, description="Calendar days left before the due date (only before it).")
    workdays_left: int | None = Field(None, description="Working days left (only before the due date).")
    days_overdue: int | None = Field(None, description="Calendar days past the due date (only after it).")
    workdays_overdue: int | None = Field(None, description="Working days past the due date (已逾期N个工作日).")
    official_calendar: bool = Field(description="Whether the working days follow the official 调休 calendar.")
    role: str | None = Field(description="The role of the addressed unit, if the notice addresses one.")
    units: list[NoticeUnit] = Field(description="The units responsible for what is due.")
    level: str = Field(description="The notice's colour (督办单): blue, yellow or red.")
    step: str = Field(description="The reminder step that fired, e.g. overdue_7.")
    notice_on: date = Field(description="The Beijing business day of the notice.")
    link: str = Field(description="The item's page for people.")
    items: list[NoticeItem] = Field(description="The items of a report deadline; empty for other kinds.")
    unit_id: int = Field(description="The lead unit (the subscribers' filter).")
    lead_leader_ids: list[int] = Field(description="The item's lead leaders (牵头领导).")


class UrgedItem(BaseModel):
    """An item a 催办 notice lists, with the unit's role on it."""

    item_id: int
    plan_id: int
    item_number: str
    item_title: str
    role: str = Field(description="The unit's role on the item: lead or co.")


class NoticeUrgedData(BaseModel):
    """notice.urged: the office urged a unit (催办) about its items, one notice per unit of a bulk urging."""

    urging_id: str = Field(description="The urging (one office request); every unit it urged carries the same id.")
    unit_id: int
    unit_name: str
    plan_id: int | None = Field(description="The plan of the items, when they are all of one plan.")
    item_id: int | None = Field(description="The item, when the notice lists one item.")
    items: list[UrgedItem] = Field(description="The items the unit is urged about.")
    message: str = Field(description="The office's words (催办意见).")
    urged_by: str = Field(description="Who urged (the office's subject).")
    urged_at: datetime = Field(description="When the office urged (UTC).")
    notifications: int = Field(description="How many deliveries to the unit's contacts were queued.")
