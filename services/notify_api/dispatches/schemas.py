"""Request and response bodies of the dispatch endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from services.common.strict_json import DATE_TEXT


class DispatchCreate(BaseModel):
    """Run a dispatch (催办): plan what is due as of a moment, then deliver."""

    model_config = ConfigDict(extra="forbid")

    as_of: datetime | None = Field(
        None,
        description="Compute what is due as of this moment (default: "
        "now), an RFC 3339 date-time at most one day ahead. Without an offset it is "
        "Beijing time (Asia/Shanghai). The same as_of twice runs once.",
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _written_out(cls, value: object) -> object:
        # pydantic reads a number as seconds since the epoch: -1 would be a dispatch as of 1969.
        if value is None or isinstance(value, datetime) or (isinstance(value, str) and DATE_TEXT.fullmatch(value)):
            return value
        raise ValueError("as_of is an RFC 3339 date-time such as 2026-03-31T09:00:00+08:00, not a number")


class DispatchPublic(BaseModel):
    """One dispatch run (派发): what it planned and what it delivered."""

    id: int
    as_of: datetime
    created: int = Field(description="Notifications written to the outbox by this run.")
    sent: int = Field(description="Notifications delivered by this run (any that were due, not only its own).")
    failed: int = Field(description="Deliveries that failed in this run; retried later, or dead.")
    started_at: datetime
    finished_at: datetime | None
    started_by: str
