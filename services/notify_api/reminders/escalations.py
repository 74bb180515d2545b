"""notice.escalated: the event other systems receive when a deadline's notice turns red (红色督办单).

The planner publishes it through notify_api's own event intake (events/service.py), in the transaction that
writes the red notices, so it is never sent for a dispatch that rolled back. Its id is derived from the
deadline, its due date and the step, so repeated or concurrent dispatches publish it once; a later red
repeat (another step) or an extended due date is a new escalation and a new event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from services.notify_api.events.service import publish_local_event
from services.notify_api.reminders.schemas import EscalationData
from services.notify_api.reminders.templates import Notice, notice_data

NOTICE_ESCALATED = "notice.escalated"
# A fixed namespace: the same escalation must get the same id in every process and every release.
EVENT_ID_NAMESPACE = uuid.UUID("5b0d3c1e-8f5a-4d6e-9a51-6d7562616e21")


@dataclass(frozen=True, slots=True)
class Escalation:
    """A red step due on a deadline, as the office reads it, and the item's lead leaders."""

    notice: Notice
    lead_leader_ids: tuple[int, ...]
    base_url: str  # of the pages the webhook links to, as the notice's own link

    @property
    def event_id(self) -> str:
        d, step = self.notice.deadline, self.notice.step
        return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{NOTICE_ESCALATED}:{d.ref}:{d.due_on.isoformat()}:{step.name}"))

    def data(self) -> EscalationData:
        """The notice's fields, with the lead unit as `unit_id` (the subscribers' filter) and the leaders."""
        units = self.notice.units
        lead = next((u for u in units if u.role == "lead"), units[0])
        return {**notice_data(self.notice), "unit_id": lead.unit_id, "lead_leader_ids": list(self.lead_leader_ids)}


async def publish_escalations(conn: AsyncConnection, escalations: list[Escalation]) -> int:
    """Publish each escalation once, in the caller's transaction; returns the deliveries queued."""
    queued = 0
    # One id order for every dispatcher, so two concurrent ones wait on each other instead of deadlocking.
    for escalation in sorted(escalations, key=lambda e: e.event_id):
        queued += await publish_local_event(
            conn, NOTICE_ESCALATED, escalation.data(), base_url=escalation.base_url, event_id=escalation.event_id
        )
    return queued
