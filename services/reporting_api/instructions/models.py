"""Leader instructions (领导批示), the units they concern, their thread (replies) and read receipts (已阅)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, String, Text, UniqueConstraint
from sqlmodel import Field

from services.common.search_index import Indexed, search_table
from services.reporting_api.db import ReportingModel, metadata

TEXT_LIMIT = 10_000  # characters of an instruction or a reply: a long 批示 fits, a runaway payload does not


class InstructionStatus(StrEnum):
    """Where an instruction stands: open (待落实), answered by its lead unit (已反馈) or settled (已办结)."""

    OPEN = "open"
    ANSWERED = "answered"
    SETTLED = "settled"


class ReplyKind(StrEnum):
    """A reply in an instruction's thread: a comment, the lead unit's answer (落实反馈) or the office's settlement."""

    COMMENT = "comment"
    ANSWER = "answer"  # closes the duty: only the lead unit gives it
    SETTLE = "settle"  # the office closes the duty without (or after) an answer


class UnitConcern(StrEnum):
    """How a unit is concerned by an instruction: it leads the item, co-operates on it, or was mentioned (@)."""

    LEAD = "lead"
    CO = "co"
    MENTIONED = "mentioned"


class Instruction(ReportingModel, table=True):
    """A leader's or the office's instruction (批示) on an item or a report; the item's lead unit answers it."""

    __tablename__ = "instructions"
    # AUTOINCREMENT on SQLite: an id is never given again, so its history stays its own.
    __table_args__ = (
        Index("ix_instructions_item", "item_id", "id"),
        Index("ix_instructions_lead_unit", "lead_unit_id", "id"),
        Index("ix_instructions_open", "plan_id", "status", "item_id", "answer_by"),  # the lights' duty read
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    plan_id: int
    item_id: int
    report_id: int | None = Field(None, description="The report the instruction is written on, if any.")
    item_number: str = Field(max_length=40, sa_type=String(40))
    item_title: str = Field(max_length=500, sa_type=String(500))
    lead_unit_id: int = Field(description="The item's lead unit (牵头单位), who must answer.")
    lead_unit_name: str = Field(max_length=100, sa_type=String(100))
    author_name: str = Field(max_length=100, sa_type=String(100), description="Who wrote it (批示人), e.g. 张三.")
    author_title: str = Field(max_length=100, sa_type=String(100), description="The author's title, e.g. 市长.")
    text: str = Field(max_length=TEXT_LIMIT, sa_type=Text, description="批示内容")
    answer_by: date | None = Field(None, description="The Beijing business date the answer is due (反馈时限).")
    status: str = Field(InstructionStatus.OPEN.value, max_length=10, sa_type=String(10))
    closed_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    closed_by: str | None = Field(None, max_length=255)
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
    version: int = 1


class InstructionUnit(ReportingModel, table=True):
    """A unit an instruction concerns (as its item's units were when it was issued, and those mentioned)."""

    __tablename__ = "instruction_units"
    __table_args__ = (Index("ix_instruction_units_unit", "unit_id", "instruction_id"),)
    instruction_id: int = Field(foreign_key="instructions.id", primary_key=True, ondelete="CASCADE")
    unit_id: int = Field(primary_key=True)
    concern: str = Field(max_length=10, sa_type=String(10))


class InstructionReply(ReportingModel, table=True):
    """One reply in an instruction's thread; immutable once written."""

    __tablename__ = "instruction_replies"
    id: int | None = Field(default=None, primary_key=True)
    instruction_id: int = Field(foreign_key="instructions.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=10, sa_type=String(10))
    unit_id: int | None = Field(None, description="The replying unit; null for the office.")
    author: str = Field(max_length=255)
    text: str = Field(max_length=TEXT_LIMIT, sa_type=Text)
    at: datetime = Field(sa_type=DateTime(timezone=True))


class InstructionRead(ReportingModel, table=True):
    """A read receipt (已阅): who read the instruction first when; one per reader."""

    __tablename__ = "instruction_reads"
    __table_args__ = (UniqueConstraint("instruction_id", "reader"),)
    id: int | None = Field(default=None, primary_key=True)
    instruction_id: int = Field(foreign_key="instructions.id", ondelete="CASCADE")
    reader: str = Field(max_length=255)
    unit_id: int | None = None
    read_at: datetime = Field(sa_type=DateTime(timezone=True))


# The words of each instruction and each reply (检索, services/common/search_index.py), searched by the search room.
instruction_index = Indexed(search_table(metadata, "instruction_search", "instructions"), ("text",))
reply_index = Indexed(search_table(metadata, "instruction_reply_search", "instruction_replies"), ("text",))
