"""The events of a service in its contract: OpenAPI 3.1 `webhooks`, one per event type, and `GET /v1/event-types`."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from services.common.auth import PrincipalDep
from services.common.events.catalogue import EventType
from services.common.json import JsonObject
from services.common.pagination import Page
from services.common.routing import api_router

_RECEIVER_ANSWERS: dict[int | str, JsonObject] = {
    "204": {"description": "Any 2xx answer: delivered. Other answers are retried (5 s, 5 min, 30 min, 2 h, …)."},
    "410": {"description": "Gone: the subscription is disabled and nothing more is sent to it."},
}


class EventTypePublic(BaseModel):
    """An event type of the catalogue (事件类型): what it means, its payload version and where its schema is."""

    type: str = Field(description="The event type, as subscriptions name it.", examples=["report.submitted"])
    version: int = Field(description="The version of its payload; a payload only gains fields within a version.")
    source: str = Field(description="The service that publishes it.", examples=["reporting_api"])
    description: str = Field(
        description="What happened when the event is sent.",
        examples=["report.submitted: a unit (or the office on its behalf) submitted a report (报送)."],
    )
    webhook: str = Field(description="Its entry in this contract's `webhooks` section.", examples=["report.submitted"])
    schema_ref: str = Field(
        description="The JSON pointer of the webhook message's schema in this contract.",
        examples=["#/components/schemas/ReportSubmittedWebhook"],
    )


def _public(event_type: EventType) -> EventTypePublic:
    return EventTypePublic(
        type=event_type.name,
        version=event_type.version,
        source=event_type.source,
        description=event_type.description,
        webhook=event_type.name,
        schema_ref=f"#/components/schemas/{event_type.schema_name}",
    )


def event_types_router(types: Sequence[EventType]) -> APIRouter:
    """`GET /v1/event-types`: the catalogue of the events this service declares."""
    router = api_router("events")
    catalogue = [_public(event_type) for event_type in types]

    @router.get(
        "/event-types",
        summary="List the event types this service's webhooks carry (事件目录)",
        description="Each type with its payload version and the schema of its webhook message in this contract.",
    )
    async def list_event_types(_: PrincipalDep) -> Page[EventTypePublic]:
        return Page[EventTypePublic](data=catalogue, next_cursor=None)

    return router


def declare_webhooks(app: FastAPI, types: Sequence[EventType]) -> None:
    """One webhook per event type in the app's contract, its request body the type's message (whose schemas
    services/common/openapi.py adds to the components)."""
    app.state.event_types = tuple(types)
    for event_type in types:
        body = {"$ref": f"#/components/schemas/{event_type.schema_name}"}
        app.webhooks.add_api_route(
            event_type.name,
            _documentation_only,
            methods=["POST"],
            status_code=204,
            summary=f"{event_type.name} (version {event_type.version})",
            description=event_type.description,
            operation_id=event_type.name.replace(".", "_") + "_webhook",
            responses=_RECEIVER_ANSWERS,
            tags=["events"],
            openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}},
        )


async def _documentation_only() -> None:  # pragma: no cover - webhooks are sent by notify_api, never received
    return None
