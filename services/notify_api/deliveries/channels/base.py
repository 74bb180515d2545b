"""What a channel is told (the target) and what it answers (the outcome)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from services.common.secrets import without_secrets

REPLY_LIMIT = 2000


class Verdict(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"  # transient: try again on the retry schedule
    DEAD = "dead"  # permanent: never retried automatically
    GONE = "gone"  # HTTP 410: disable the target; the notification is dead


@dataclass(frozen=True, slots=True)
class Target:
    """Where one notification goes: a contact's (or a subscription's) address and its secret in clear."""

    kind: str  # "contact" or "subscription"
    id: int
    address: str
    secret: str | None


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    status_code: int | None = None  # HTTP status, or the SMTP reply code
    reply: str | None = None
    error: str | None = None
    retry_after: float | None = None  # seconds the receiver asked us to wait (Retry-After)

    def __post_init__(self) -> None:
        # What an attempt records is kept and shown (last_error, delivery_attempts): a failing robot URL quotes its
        # access_token, a receiver may echo its signature; blank every secret here, once for all channels.
        for name in ("reply", "error"):
            value = getattr(self, name)
            if value:
                object.__setattr__(self, name, without_secrets(value))


def clip(text: str | None) -> str | None:
    """A receiver's answer, cut to what the attempt log keeps."""
    return text[:REPLY_LIMIT] if text else text
