"""A recipient's channels."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, Index, LargeBinary, String
from sqlmodel import Field

from services.notify_api.db import NotifyModel


class Channel(StrEnum):
    """How notices are delivered (渠道): signed webhook, e-mail, DingTalk robot (钉钉) or WeCom robot (企业微信)."""

    WEBHOOK = "webhook"  # Standard Webhooks, signed
    EMAIL = "email"  # SMTP
    DINGTALK = "dingtalk"  # DingTalk custom robot (浙政钉 is DingTalk-based)
    WECOM = "wecom"  # WeCom (企业微信) group robot


class OwnerKind(StrEnum):
    """Whose contact it is: a unit, a leader or the office."""

    UNIT = "unit"  # a responsible unit (责任单位), by its tasks_api id
    LEADER = "leader"  # a city leader, by its tasks_api id
    OFFICE = "office"  # the leading-group office (owner_id 0)


class Contact(NotifyModel, table=True):
    __tablename__ = "contacts"
    __table_args__ = (Index("ix_contacts_owner", "owner_kind", "owner_id"),)
    id: int | None = Field(default=None, primary_key=True)
    owner_kind: OwnerKind = Field(sa_type=String(10))
    owner_id: int
    channel: Channel = Field(sa_type=String(10))
    target: str = Field(
        max_length=500,
        description="Webhook or robot URL, or e-mail address; a token in the URL "
        "(a robot's access_token or key) masked.",
    )
    target_sealed: bytes | None = Field(
        None, sa_type=LargeBinary, description="The whole target, encrypted at rest, when it carries a token."
    )
    label: str = Field("", max_length=100)
    secret_encrypted: bytes | None = Field(
        None, sa_type=LargeBinary, description="Signing secret (webhook, DingTalk), encrypted at rest."
    )
    enabled: bool = True
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
    version: int = 1
