"""The registry of event types: name, version, producing service, payload model and example.

A type's name never changes (subscriptions name it); its `version` says which shape of the payload is delivered.
Within a version the payload only gains fields, so a consumer written for version 1 keeps working; a change that
removes or retypes a field would be published as the next version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import models_json_schema

from services.common.events import instructions, items, notices, reports
from services.common.events.examples import EXAMPLES
from services.common.json import JsonObject, json_object

TASKS, REPORTING, NOTIFY = "tasks_api", "reporting_api", "notify_api"
EXAMPLE_TIMESTAMP = "2026-04-09T02:15:00.123456Z"
EXAMPLE_BASE = "https://duban.quzhou.gov.cn"


class EventLinks(BaseModel):
    """Where people see what the event is about, from notify_api's PUBLIC_BASE_URL (the front end)."""

    item: str | None = Field(None, description="The item's page.")
    report: str | None = Field(None, description="The report's page, for report events.")


@dataclass(frozen=True, slots=True)
class EventType:
    """One type of event in the catalogue."""

    name: str
    version: int
    source: str
    data: type[BaseModel]

    @property
    def example(self) -> JsonObject:
        """Its payload as the contract shows it (services/common/events/examples.py)."""
        return EXAMPLES[self.name]

    @property
    def description(self) -> str:
        return (self.data.__doc__ or self.name).strip()

    @property
    def schema_name(self) -> str:
        """The contract's component of the whole webhook message, e.g. ReportSubmittedWebhook."""
        return self.data.__name__.removesuffix("Data") + "Webhook"

    def message_example(self) -> JsonObject:
        return {
            "type": self.name,
            "version": self.version,
            "timestamp": EXAMPLE_TIMESTAMP,
            "data": self.example,
            "links": links_of(self.example, EXAMPLE_BASE),
        }


_TYPES = (
    EventType("report.submitted", 1, REPORTING, reports.ReportSubmittedData),
    EventType("report.returned", 1, REPORTING, reports.ReportReturnedData),
    EventType("report.accepted", 1, REPORTING, reports.ReportAcceptedData),
    EventType("report.withdrawn", 1, REPORTING, reports.ReportWithdrawnData),
    EventType("report.reopened", 1, REPORTING, reports.ReportReopenedData),
    EventType("item.assigned", 1, TASKS, items.ItemAssignedData),
    EventType("deadline.extended", 1, TASKS, items.DeadlineExtendedData),
    EventType("notice.escalated", 1, NOTIFY, notices.NoticeEscalatedData),
    EventType("notice.urged", 1, NOTIFY, notices.NoticeUrgedData),
    EventType("item.closeout_requested", 1, TASKS, items.CloseoutRequestedData),
    EventType("item.closed", 1, TASKS, items.ItemClosedData),
    EventType("item.closeout_refused", 1, TASKS, items.CloseoutRefusedData),
    EventType("item.reopened", 1, TASKS, items.ItemReopenedData),
    EventType("item.delegated", 1, TASKS, items.ItemDelegatedData),
    EventType("delegation.acknowledged", 1, TASKS, items.DelegationAcknowledgedData),
    EventType("delegation.withdrawn", 1, TASKS, items.DelegationWithdrawnData),
    EventType("delegation.deleted", 1, TASKS, items.DelegationDeletedData),
    EventType("instruction.issued", 1, REPORTING, instructions.InstructionIssuedData),
    EventType("instruction.mentioned", 1, REPORTING, instructions.InstructionMentionedData),
    EventType("instruction.answered", 1, REPORTING, instructions.InstructionAnsweredData),
    EventType("instruction.settled", 1, REPORTING, instructions.InstructionSettledData),
)
CATALOGUE: dict[str, EventType] = {event_type.name: event_type for event_type in _TYPES}
EVENT_TYPES: tuple[str, ...] = tuple(CATALOGUE)


def published_by(source: str) -> tuple[EventType, ...]:
    """The event types a service publishes itself."""
    return tuple(event_type for event_type in _TYPES if event_type.source == source)


def version_of(name: str) -> int:
    """The version of the payload a type is delivered in (1 for a type the catalogue does not know)."""
    return CATALOGUE[name].version if name in CATALOGUE else 1


def links_of(data: JsonObject, base_url: str) -> JsonObject:
    """The pages of the event's item and report, where its data names them (the same pages notices link to)."""
    base = base_url.rstrip("/")
    plan_id, item_id, report_id = data.get("plan_id"), data.get("item_id"), data.get("report_id")
    return {
        "item": f"{base}/plans/{plan_id}/items/{item_id}" if plan_id is not None and item_id is not None else None,
        "report": f"{base}/reports/{report_id}" if report_id is not None else None,
    }


def _message_model(event_type: EventType) -> type[BaseModel]:
    model: type[BaseModel] = create_model(
        event_type.schema_name,
        __config__=ConfigDict(json_schema_extra={"examples": [event_type.message_example()]}),
        __doc__=f"The webhook notify_api POSTs for {event_type.name} (version {event_type.version}), signed as "
        "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature).",
        type=(Literal[event_type.name], Field(description="The event type (事件类型).")),  # type: ignore[arg-type]
        version=(int, Field(description="The version of the payload's shape; additions keep the version.")),
        timestamp=(datetime, Field(description="When the change committed (UTC).")),
        data=(event_type.data, Field(description=event_type.description)),
        links=(EventLinks, Field(description="Pages for people about the event's item and report.")),
    )
    return model


# The webhook message of each type, made once: the contract names each model.
MESSAGES: dict[str, type[BaseModel]] = {event_type.name: _message_model(event_type) for event_type in _TYPES}


def webhook_schemas(types: tuple[EventType, ...]) -> dict[str, JsonObject]:
    """The schemas of the webhook messages of `types` and of their parts, for a contract's components."""
    if not types:
        return {}
    models = [(MESSAGES[event_type.name], "validation") for event_type in types]
    _, schemas = models_json_schema(models, ref_template="#/components/schemas/{model}")  # type: ignore[arg-type]
    return {name: json_object(schema) for name, schema in json_object(schemas["$defs"]).items()}
