"""What the plans routes take and answer (pydantic, not tables)."""

from __future__ import annotations

from datetime import date

import pydantic
from pydantic import BaseModel, model_validator
from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.tasks_api.db import TasksModel
from services.tasks_api.tables import (
    GENERAL_REQUIREMENTS,
    PRINCIPLES,
    Issuer,
    PlanFields,
    PlanStatus,
    Principle,
)


def _check_period(model: PlanCreate | PlanPublic) -> PlanCreate | PlanPublic:
    if model.ends_on < model.starts_on:
        raise ValueError("ends_on must not be before starts_on")
    return model


class ImportResult(BaseModel):
    """What an import did, counted per kind of record (created, updated, deleted)."""

    plan_id: int
    counts: dict[str, int] = pydantic.Field(description='e.g. {"item.created": 105}; empty when nothing changed.')


class PlanCreate(PlanFields):
    """A new plan (行动计划): its header, without items."""

    model_config = SQLModelConfig(extra="forbid")
    _period = model_validator(mode="after")(_check_period)


class PlanUpdate(TasksModel):
    """Changes to a plan's header; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    document_number: str | None = Field(
        None, max_length=100, description="The document number (文号), e.g. 衢委发〔2019〕24号."
    )
    title: str | None = Field(None, min_length=1, max_length=300)
    issuers: list[Issuer] | None = Field(None, max_length=20, description="Who issued the document (印发单位).")
    issued_on: date | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    status: PlanStatus | None = None
    summary: str | None = Field(None, max_length=20000, description="What the plan is about (概要).")
    general_requirements: str | None = Field(None, max_length=20000, description=GENERAL_REQUIREMENTS)
    principles: list[Principle] | None = Field(None, max_length=50, description=PRINCIPLES)


class PlanPublic(PlanFields):
    """A plan (行动计划)."""

    id: int
    version: int
