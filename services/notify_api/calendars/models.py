"""Feed tokens: the secret in a unit's calendar URL, stored only as a hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field

from services.notify_api.db import NotifyModel


class FeedToken(NotifyModel, table=True):
    __tablename__ = "feed_tokens"
    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(index=True)
    token_hash: str = Field(max_length=64, unique=True, description="SHA-256 of the token; the token is shown once.")
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(None, sa_type=DateTime(timezone=True))
