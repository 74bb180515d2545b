"""Request bodies of the rule and pause endpoints, and the rule in force for a kind as the service answers it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, TypedDict

from annotated_types import Ge, Le
from pydantic import field_validator
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.notify_api.db import NotifyModel
from services.notify_api.rules.rule import DEFAULT_RULE

MAX_STEP_DAYS = 90  # the planner reads deadlines this far ahead; a reminder earlier than that is not a reminder
CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class RuleBody(NotifyModel):
    """A reminder rule (催办规则); PUT replaces it whole, so an omitted field takes its default."""

    model_config = SQLModelConfig(extra="forbid")
    steps_before: list[Annotated[int, Ge(0), Le(MAX_STEP_DAYS)]] = Field(
        default_factory=lambda: list(DEFAULT_RULE.steps_before),
        max_length=10,
        description=f"Days before the due date to remind (0: the day itself; at most {MAX_STEP_DAYS}).",
    )
    repeat_every_workdays: int = Field(
        3, ge=0, le=60, description="While overdue, remind again every N working days (0: only once)."
    )
    escalate_after_days: int = Field(
        5,
        ge=1,
        le=180,
        description="Working days overdue (逾期工作日数) from which "
        "notices are red and go to the lead leaders and the "
        "office.",
    )
    quiet_start: str = Field("22:00", max_length=5, schema_extra={"pattern": CLOCK}, description="HH:MM Asia/Shanghai.")
    quiet_end: str = Field(
        "08:00", max_length=5, schema_extra={"pattern": CLOCK}, description="HH:MM; held until then."
    )
    digest: bool = Field(False, description="Send a recipient's reminders of one day as one message.")

    @field_validator("steps_before")
    @classmethod
    def _steps(cls, steps: list[int]) -> list[int]:
        if len(set(steps)) != len(steps):
            raise ValueError("steps must not repeat")
        return sorted(steps, reverse=True)


class PauseCreate(NotifyModel):
    """Hold reminders of a whole plan, one item, one unit, or one unit on one item."""

    model_config = SQLModelConfig(extra="forbid")
    plan_id: int
    item_id: int | None = None
    unit_id: int | None = None
    until: date | None = Field(None, description="Paused through this date; empty: until the pause is lifted.")
    reason: str = Field("", max_length=500)


class RuleFields(TypedDict):
    """A reminder rule of a plan for one kind of deadline (or "*"), and a version: a stored rule's row (RuleRow)
    and the rule in force (EffectiveRule) both carry them."""

    plan_id: int
    deadline_kind: str
    steps_before: list[int]
    repeat_every_workdays: int
    escalate_after_days: int
    quiet_start: str
    quiet_end: str
    digest: bool
    version: int


class EffectiveRule(RuleFields):
    """The rule in force for one kind of deadline of a plan, where it comes from, and the version of the kind's
    own rule (0: none)."""

    source: str  # own, plan or default
