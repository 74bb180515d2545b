"""The dispatches table: one row per run, its as_of unique (the same moment is planned once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field

from services.notify_api.db import NotifyModel


class Dispatch(NotifyModel, table=True):
    """One run that computed what was due as of a moment and wrote it to the outbox."""

    __tablename__ = "dispatches"
    id: int | None = Field(default=None, primary_key=True)
    as_of: datetime = Field(sa_type=DateTime(timezone=True), unique=True)
    created: int = 0
    sent: int = 0
    failed: int = 0
    started_at: datetime = Field(sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
    started_by: str = Field(max_length=255)
