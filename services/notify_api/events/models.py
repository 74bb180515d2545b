"""Subscriptions of other systems to plan events, and the events received from the producing services."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, LargeBinary, String
from sqlmodel import Field

from services.common.events import catalogue
from services.notify_api.db import NotifyModel

# The catalogue (services/common/events) is the one list of the event types; subscriptions name them.
EVENT_TYPES = catalogue.EVENT_TYPES


class Subscription(NotifyModel, table=True):
    __tablename__ = "subscriptions"
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=500)
    event_types: list[str] = Field(sa_type=JSON, description="Event types delivered; see EVENT_TYPES.")
    description: str = Field("", max_length=200)
    secret_encrypted: bytes = Field(sa_type=LargeBinary, description="whsec_ signing secret, encrypted at rest.")
    enabled: bool = True
    disabled_reason: str | None = Field(None, max_length=200)
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    version: int = 1


class ReceivedEvent(NotifyModel, table=True):
    """An event a producing service relayed from its own outbox; its id makes a relayed retry harmless."""

    __tablename__ = "received_events"
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=64, unique=True)
    type: str = Field(max_length=40, sa_type=String(40))
    source: str = Field(max_length=40, sa_type=String(40))
    occurred_at: datetime = Field(sa_type=DateTime(timezone=True))
    data: dict[str, Any] = Field(sa_type=JSON)
    received_at: datetime = Field(sa_type=DateTime(timezone=True))
