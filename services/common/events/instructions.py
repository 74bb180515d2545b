"""The payloads of the instruction.* events reporting_api publishes (领导批示、@提及、落实反馈、办结)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class InstructionEventData(BaseModel):
    """What every instruction.* event says of its instruction: which one, on which item, for which unit."""

    instruction_id: int = Field(description="The instruction (领导批示).")
    plan_id: int
    item_id: int
    item_number: str
    item_title: str
    report_id: int | None = Field(description="The report the instruction is written on; null: on the item.")
    unit_id: int = Field(description="The unit the event is for: the lead unit, or the unit mentioned (@).")
    unit_name: str
    lead_unit_id: int = Field(description="The item's lead unit (牵头单位), who answers the instruction.")
    author_name: str = Field(description="批示人")
    author_title: str = Field(description="The author's title, e.g. 市长.")
    text: str = Field(description="批示内容")
    answer_by: date | None = Field(description="The Beijing business date the answer is due (反馈时限).")


class InstructionIssuedData(InstructionEventData):
    """instruction.issued: the office wrote a leader's instruction (领导批示); the lead unit must answer it."""

    mentioned_unit_ids: list[int] = Field(description="The units mentioned (@); each gets instruction.mentioned.")


class InstructionMentionedData(InstructionEventData):
    """instruction.mentioned: an instruction or a reply in its thread mentions a unit (@); notify_api notifies it."""

    reply_id: int | None = Field(None, description="The reply that mentions the unit; absent: the instruction does.")
    replied_by: str | None = Field(None, description="Who wrote that reply.")
    reply: str | None = Field(None, description="The reply's text (回复内容).")


class InstructionClosedData(InstructionEventData):
    """What instruction.answered and instruction.settled say of the reply that closed the duty."""

    closed_by: str
    reply: str = Field(description="The answer (落实反馈) or the office's settlement.")


class InstructionAnsweredData(InstructionClosedData):
    """instruction.answered: the lead unit answered the instruction (落实反馈)."""


class InstructionSettledData(InstructionClosedData):
    """instruction.settled: the office settled the instruction (办结)."""
