"""Request and response bodies of event intake and subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from services.notify_api.events.models import EVENT_TYPES

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
_TYPES = ", ".join(EVENT_TYPES)


class EventIn(BaseModel):
    """An event a producing service relays from its transactional outbox."""

    model_config = ConfigDict(extra="forbid")
    event_id: str = Field(min_length=1, max_length=64, description="Unique per event; a repeat is dropped.")
    type: EventType = Field(description=f"One of {_TYPES}.")
    occurred_at: datetime = Field(description="When the change committed (no offset: UTC).")
    data: dict[str, Any] = Field(description="The event's fields, delivered to subscribers as they are.")
    source: str = Field(min_length=1, max_length=40, description="The producing service, e.g. tasks_api.")


class EventReceipt(BaseModel):
    """What notify_api did with an event."""

    id: int
    event_id: str
    type: str = Field(description="The event type, e.g. item.assigned (事件类型).")
    source: str = Field(description="The service that produced the event.")
    occurred_at: datetime
    received_at: datetime
    duplicate: bool = Field(description="true: the event was received before; nothing was sent again.")
    notifications: int = Field(description="Deliveries to subscriptions queued by this request.")


class SubscriptionCreate(BaseModel):
    """Subscribe an endpoint to plan events (事件订阅)."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        min_length=8, max_length=500, description="The endpoint: an http(s) URL that receives Standard Webhooks POSTs."
    )
    event_types: list[EventType] = Field(
        min_length=1, max_length=50, description=f"The events delivered: any of {_TYPES}."
    )
    description: str = Field("", max_length=200)


class SubscriptionUpdate(BaseModel):
    """Changes to a subscription; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(None, min_length=8, max_length=500)
    event_types: list[EventType] | None = Field(None, min_length=1, max_length=50)
    description: str | None = Field(None, max_length=200)
    enabled: bool | None = Field(None, description="true re-enables a subscription (e.g. one disabled by a 410).")


class SubscriptionPublic(BaseModel):
    """Another municipal system's subscription to plan events (事件订阅); its secret is never shown again."""

    id: int
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    disabled_reason: str | None = Field(description="Why it was disabled, e.g. the endpoint answered 410 Gone.")
    created_by: str
    created_at: datetime
    version: int


class SubscriptionCreated(SubscriptionPublic):
    """A new subscription with its signing secret, shown this once."""

    secret: str = Field(description="The whsec_ signing secret, shown this once; store it to verify signatures.")


class SecretRotation(BaseModel):
    """Rotate a subscription's signing secret; the old one may be kept for a while."""

    model_config = ConfigDict(extra="forbid")
    keep_previous: bool = Field(
        True,
        description="Sign with the previous secret too until the next rotation, so "
        "the receiver can switch without losing a message; false drops "
        "it at once (a leaked secret).",
    )


class SubscriptionSecret(BaseModel):
    """A subscription's new signing secret, shown this once."""

    id: int
    secret: str = Field(description="The new whsec_ signing secret, shown this once.")
    previous_kept: bool = Field(
        description="Whether the previous secret still verifies for a while, for a smooth change."
    )
    version: int


class RotatedSecret(TypedDict):
    """A subscription's new signing secret, as the service answers it (SubscriptionSecret on the wire)."""

    id: int
    secret: str
    previous_kept: bool
    version: int
