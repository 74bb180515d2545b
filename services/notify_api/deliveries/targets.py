"""What the deliverer needs from the rooms that own a notification's recipient: the contacts room (a reminder's
recipient) and the events room (another system's subscription). Deliveries imports neither; each of them implements
TargetSource, and the caller that runs the deliverer (the dispatches room, the worker) hands both in."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol, TypedDict

from sqlalchemy.ext.asyncio import AsyncConnection


class SealedTarget(TypedDict):
    """Where a recipient's notifications go, as stored: the address (in clear, or masked with the whole address
    sealed) and the signing secret still sealed."""

    id: int
    address: str
    address_sealed: bytes | None
    secret_encrypted: bytes | None
    enabled: bool


class TargetSource(Protocol):
    """One kind of recipient, as the deliverer reads it and, when a receiver answers 410 Gone, disables it."""

    async def sealed_targets(self, conn: AsyncConnection, ids: Collection[int]) -> Sequence[SealedTarget]:
        """The recipients of these ids that still exist, enabled or not."""
        ...

    async def disable(self, conn: AsyncConnection, target_id: int, *, reason: str, actor: str) -> None:
        """Disable the recipient, with history; nothing when it was deleted meanwhile."""
        ...


# The sources by target kind: "contact" (every notification not to a subscription) and "subscription".
TargetSources = Mapping[str, TargetSource]
