"""Request bodies of the contact endpoints (the answers are the router's ContactPublic and ContactWithSecret)."""

from __future__ import annotations

from sqlmodel import Field

from services.common.tables import SQLModelConfig
from services.notify_api.contacts.models import Channel, OwnerKind
from services.notify_api.db import NotifyModel

DINGTALK_SECRET = r"^SEC[0-9A-Za-z]{16,128}$"
_SECRET_EXAMPLE = "SEC0f3c9a7d2b4e6f8a1c3e5b7d9f2a4c6e8"


class ContactCreate(NotifyModel):
    """A new contact (联系方式): where a unit's or leader's notices go."""

    model_config = SQLModelConfig(extra="forbid")
    owner_kind: OwnerKind
    owner_id: int = Field(ge=0, description="The unit's or leader's tasks_api id; 0 for the office.")
    channel: Channel
    target: str = Field(min_length=3, max_length=500, description="http(s) URL, or e-mail address for email.")
    label: str = Field("", max_length=100)
    enabled: bool = True
    secret: str | None = Field(
        None,
        max_length=131,
        schema_extra={"pattern": DINGTALK_SECRET, "examples": [_SECRET_EXAMPLE]},
        description="DingTalk robot signing secret (加签, SEC…); stored sealed, never shown.",
    )


class ContactUpdate(NotifyModel):
    """Changes to a contact; fields left out stay as they are."""

    model_config = SQLModelConfig(extra="forbid")
    target: str | None = Field(None, min_length=3, max_length=500, description="New http(s) URL or e-mail address.")
    label: str | None = Field(None, max_length=100)
    enabled: bool | None = None
    secret: str | None = Field(
        None,
        max_length=131,
        schema_extra={"pattern": DINGTALK_SECRET, "examples": [_SECRET_EXAMPLE]},
        description="Replace the DingTalk robot signing secret.",
    )
