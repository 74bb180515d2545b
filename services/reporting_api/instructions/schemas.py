"""Request and response shapes of leader instructions (领导批示) and their threads."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict

from pydantic import BaseModel, ConfigDict, Field

from services.reporting_api.instructions.models import TEXT_LIMIT, InstructionStatus, ReplyKind, UnitConcern

MENTIONS_LIMIT = 20


class InstructionCreate(BaseModel):
    """A new instruction on an item or on a report (exactly one of them)."""

    model_config = ConfigDict(extra="forbid")
    item_id: int | None = Field(None, description="The item the instruction is on.")
    report_id: int | None = Field(None, description="The report the instruction is on (its item is then the item).")
    text: str = Field(min_length=1, max_length=TEXT_LIMIT, description="批示内容")
    author_name: str = Field(min_length=1, max_length=100, description="批示人, e.g. 张三.")
    author_title: str = Field("", max_length=100, description="The author's title, e.g. 市长, 常务副市长.")
    answer_by: date | None = Field(
        None, description="The Beijing business date the lead unit must answer by (反馈时限); none: no duty."
    )
    mentions: list[int] = Field(
        default_factory=list, max_length=MENTIONS_LIMIT, description="Units to notify (@), by tasks_api id."
    )


class ReplyCreate(BaseModel):
    """A reply in the thread: a comment, the lead unit's answer (落实反馈), or the office's settlement (办结)."""

    model_config = ConfigDict(extra="forbid")
    kind: ReplyKind = Field(ReplyKind.COMMENT, description="comment, answer (lead unit) or settle (office).")
    text: str = Field(min_length=1, max_length=TEXT_LIMIT)
    mentions: list[int] = Field(
        default_factory=list,
        max_length=MENTIONS_LIMIT,
        description="Units to notify (@) of this reply, by tasks_api id; a unit the instruction did not concern yet "
        "is added as mentioned (it then reads the thread).",
    )


class InstructionPublic(BaseModel):
    """A leader instruction (领导批示) and where its duty stands."""

    id: int
    plan_id: int
    item_id: int
    report_id: int | None
    item_number: str
    item_title: str
    lead_unit_id: int = Field(description="The item's lead unit (牵头单位), who answers (落实反馈).")
    lead_unit_name: str = Field(
        description="The lead unit's name as tasks_api gave it when the instruction was issued."
    )
    author_name: str = Field(description="批示人")
    author_title: str = Field(description="The author's title, e.g. 市长.")
    text: str
    answer_by: date | None = Field(description="The Beijing business date the answer is due; null: no duty.")
    status: InstructionStatus
    overdue: bool = Field(description="Open with answer_by passed (Beijing business date): 逾期未反馈.")
    days_overdue: int = Field(description="Working days past answer_by while open (逾期工作日数), else 0.")
    closed_at: datetime | None
    closed_by: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    version: int


class ConcernPublic(BaseModel):
    """A unit the instruction concerns, and how."""

    unit_id: int
    concern: UnitConcern = Field(description="lead (牵头), co (配合) on the item when issued, or mentioned (@).")


class ReplyPublic(BaseModel):
    """A reply in an instruction's thread."""

    id: int
    instruction_id: int = Field(description="The instruction the reply is in.")
    kind: ReplyKind
    unit_id: int | None = Field(description="The replying unit; null for the office.")
    author: str = Field(description="Who wrote it (the token's subject).")
    text: str
    at: datetime


class ReadPublic(BaseModel):
    """A read receipt (已阅)."""

    instruction_id: int = Field(description="The instruction read.")
    reader: str = Field(description="Who read it (the token's subject).")
    unit_id: int | None = Field(description="The reader's unit; null for the office and leaders.")
    read_at: datetime = Field(description="When the reader first read it.")


class InstructionDetail(InstructionPublic):
    """An instruction with the units it concerns, its thread (oldest first) and its read receipts."""

    units: list[ConcernPublic] = Field(description="The units it concerns, and how.")
    replies: list[ReplyPublic] = Field(description="Its thread, oldest first (回复).")
    reads: list[ReadPublic] = Field(description="Who read it, first read first (已阅).")


class InstructionEvent(TypedDict, total=False):
    """The data of an instruction.* event in the outbox (services/common/events/instructions.py)."""

    instruction_id: int
    plan_id: int
    item_id: int
    item_number: str
    item_title: str
    report_id: int | None
    unit_id: int
    unit_name: str
    lead_unit_id: int
    author_name: str
    author_title: str
    text: str
    answer_by: date | None
    mentioned_unit_ids: list[int]
    closed_by: str
    reply: str
    reply_id: int
    replied_by: str


class InstructionDuty(BaseModel):
    """An instruction's answer (落实反馈) its lead unit owes by a date, and where it stands (instructions/owed.py)."""

    instruction_id: int = Field(description="The instruction (批示) that asks for the answer.")
    item_id: int
    item_number: str
    item_title: str
    unit_id: int = Field(description="The lead unit (牵头单位), who owes the answer.")
    unit_name: str
    author_name: str = Field(description="批示人")
    author_title: str = Field(description="The author's post (职务), as the instruction gives it.")
    answer_by: date = Field(description="The Beijing business date the answer is due (反馈时限).")
    state: InstructionStatus = Field(description="open (待落实: owed), answered (已反馈) or settled (已办结).")
    closed_on: date | None = Field(description="The Beijing business date it was answered or settled.")
    late: bool = Field(description="Open past answer_by, or closed after it.")
    days_late: int = Field(description="Working days after answer_by, to today (open) or to closed_on (逾期工作日数).")
    overdue: bool = Field(description="Open and answer_by has passed (逾期未反馈).")


class InstructionDutySummary(BaseModel):
    """The instructions' duties counted: owed (open), overdue, answered, settled and late."""

    owed: int = Field(description="Open: the answer is still owed.")
    overdue: int
    answered: int = Field(description="Answered (已反馈), not settled yet.")
    settled: int = Field(description="Settled by the office (已办结).")
    late: int
