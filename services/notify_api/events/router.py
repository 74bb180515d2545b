"""HTTP routes for event intake (from the producing services) and event subscriptions (other systems)."""

from __future__ import annotations

from fastapi import Request, Response

from services.common.auth import ServiceCaller, Staff
from services.common.etag import IfMatch, expected_version
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.routing import GUARDED_WRITE_ERRORS, READ_ERRORS, api_router, created, current, links_to_created
from services.notify_api.deps import DatabaseDep, SettingsDep
from services.notify_api.events import service, subscriptions
from services.notify_api.events.schemas import (
    EventIn,
    EventReceipt,
    SecretRotation,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPublic,
    SubscriptionSecret,
    SubscriptionUpdate,
)

router = api_router("events")


@router.post(
    "/events",
    summary="Receive an event from a producing service's outbox",
    status_code=202,
    description="For service tokens. The first time an event_id arrives it is recorded and one webhook "
    "delivery per matching, enabled subscription is queued (202); a repeat of the same "
    "event_id, as an outbox relay retry sends, answers 200 and queues nothing.",
    responses={200: {"description": "Received before; nothing queued again.", "model": EventReceipt}},
)
async def receive_event(
    event: EventIn, response: Response, db: DatabaseDep, settings: SettingsDep, _: ServiceCaller
) -> EventReceipt:
    receipt = await service.receive_event(db, event=event, base_url=settings.public_base_url)
    if receipt.duplicate:
        response.status_code = 200
    return receipt


@router.get("/subscriptions", summary="List event subscriptions")
async def list_subscriptions(
    request: Request, response: Response, db: DatabaseDep, _: Staff, limit: Limit = 50, cursor: Cursor = None
) -> Page[SubscriptionPublic]:
    rows = await subscriptions.list_subscriptions(db, after_id=decode_id_cursor(cursor), limit=limit)
    return page_of(Page[SubscriptionPublic], rows, limit, request, response)


@router.post(
    "/subscriptions",
    summary="Subscribe an endpoint to plan events (事件订阅)",
    status_code=201,
    description="The answer holds the whsec_ signing secret; it is shown this once.",
    responses=links_to_created(
        "subscription_id", read=("get_subscription",), guarded=("update_subscription", "delete_subscription")
    ),
)
async def create_subscription(
    data: SubscriptionCreate, response: Response, db: DatabaseDep, settings: SettingsDep, principal: Staff
) -> SubscriptionCreated:
    row = await subscriptions.create_subscription(db, settings, data=data, actor=principal)
    return created(response, SubscriptionCreated, row, f"/v1/subscriptions/{row['id']}")


@router.get("/subscriptions/{subscription_id}", summary="Read an event subscription", responses=READ_ERRORS)
async def get_subscription(subscription_id: int, response: Response, db: DatabaseDep, _: Staff) -> SubscriptionPublic:
    return current(
        response, SubscriptionPublic, await subscriptions.get_subscription(db, subscription_id=subscription_id)
    )


@router.patch(
    "/subscriptions/{subscription_id}",
    summary="Change an event subscription (or re-enable it)",
    responses=GUARDED_WRITE_ERRORS,
)
async def update_subscription(
    subscription_id: int,
    data: SubscriptionUpdate,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: Staff,
    if_match: IfMatch = None,
) -> SubscriptionPublic:
    row = await subscriptions.update_subscription(
        db, settings, subscription_id=subscription_id, data=data, version=expected_version(if_match), actor=principal
    )
    return current(response, SubscriptionPublic, row)


@router.delete(
    "/subscriptions/{subscription_id}",
    summary="Delete an event subscription",
    status_code=204,
    description="Deliveries still queued for it are cancelled.",
    responses=GUARDED_WRITE_ERRORS,
)
async def delete_subscription(
    subscription_id: int, db: DatabaseDep, principal: Staff, if_match: IfMatch = None
) -> Response:
    await subscriptions.delete_subscription(
        db, subscription_id=subscription_id, version=expected_version(if_match), actor=principal
    )
    return Response(status_code=204)


@router.post(
    "/subscriptions/{subscription_id}/secret",
    summary="Rotate a subscription's signing secret",
    description="The new whsec_ secret is shown this once and signs from now on.",
    responses=READ_ERRORS,
)
async def rotate_subscription_secret(
    subscription_id: int,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: Staff,
    rotation: SecretRotation | None = None,
) -> SubscriptionSecret:
    result = await subscriptions.rotate_subscription_secret(
        db, settings, subscription_id=subscription_id, rotation=rotation or SecretRotation(), actor=principal
    )
    return current(response, SubscriptionSecret, result)
