"""HTTP routes for contacts: the webhooks, e-mail addresses and group robots reminders go to."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, Field

from services.common.auth import Writer
from services.common.etag import IfMatch, expected_version
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.routing import (
    GUARDED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    api_router,
    created,
    current,
    links_to_created,
)
from services.notify_api.contacts import service
from services.notify_api.contacts.models import Channel, OwnerKind
from services.notify_api.contacts.schemas import ContactCreate, ContactUpdate
from services.notify_api.deps import DatabaseDep, SettingsDep, TasksDep

router = api_router("contacts")


class ContactPublic(BaseModel):
    """A channel a unit, leader or the office is reached on (联系方式)."""

    id: int
    owner_kind: OwnerKind
    owner_id: int
    channel: Channel
    target: str = Field(
        description="Where notices go: an http(s) URL, or an e-mail address for e-mail. A token in "
        "the URL (a robot's access_token or key, a token) is shown masked: ****c0de."
    )
    label: str
    enabled: bool
    has_secret: bool = Field(description="Whether a signing secret is stored (it is never shown again).")
    created_at: datetime
    updated_at: datetime
    version: int


class ContactWithSecret(ContactPublic):
    """A new or re-keyed webhook contact with its signing secret, shown this once."""

    secret: str | None = Field(description="The webhook signing secret (whsec_…), shown only in this response.")


@router.get("/contacts", summary="List contacts; a unit sees its own", response_model=Page[ContactPublic])
async def list_contacts(
    request: Request,
    response: Response,
    db: DatabaseDep,
    principal: Writer,
    limit: Limit = 50,
    cursor: Cursor = None,
    owner_kind: OwnerKind | None = None,
    owner_id: Annotated[int | None, Query(ge=0, description="The owner's tasks_api id (0: the office).")] = None,
    channel: Channel | None = None,
) -> Page[ContactPublic]:
    rows = await service.list_contacts(
        db,
        principal=principal,
        after_id=decode_id_cursor(cursor),
        limit=limit,
        owner_kind=owner_kind,
        owner_id=owner_id,
        channel=channel,
    )
    return page_of(Page[ContactPublic], rows, limit, request, response)


TARGET_RULE = """A webhook, DingTalk or WeCom target is an http(s) URL; an e-mail target is an address. In
production a target on loopback or a private network is refused (SSRF guard): literal addresses in any notation
and `localhost` here, host names when they are resolved at each delivery. A webhook contact's `whsec_` signing
secret is in this response only; a DingTalk robot's `SEC…` secret is stored sealed and never shown. A token in
the URL (`access_token`, `key`, `token`) is stored sealed too and shown masked, `access_token=****c0de`: whoever
has a robot's URL can post to its group. A target sent back with a masked token is refused (422)."""


@router.post(
    "/contacts",
    summary="Add a contact; a webhook's secret is shown once",
    status_code=201,
    description=TARGET_RULE,
    responses={
        **WRITE_ERRORS,
        **links_to_created("contact_id", read=("get_contact",), guarded=("update_contact", "delete_contact")),
    },
)
async def create_contact(
    data: ContactCreate,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    tasks: TasksDep,
    principal: Writer,
) -> ContactWithSecret:
    contact, secret = await service.create_contact(db, settings, tasks, data=data, actor=principal)
    return created(response, ContactWithSecret, {**contact, "secret": secret}, f"/v1/contacts/{contact['id']}")


@router.get("/contacts/{contact_id}", summary="Read a contact", responses=READ_ERRORS)
async def get_contact(contact_id: int, response: Response, db: DatabaseDep, principal: Writer) -> ContactPublic:
    return current(response, ContactPublic, await service.get_contact(db, principal=principal, contact_id=contact_id))


@router.patch(
    "/contacts/{contact_id}",
    summary="Change a contact's target, label, state or DingTalk secret",
    responses=GUARDED_WRITE_ERRORS,
)
async def update_contact(
    contact_id: int,
    data: ContactUpdate,
    response: Response,
    db: DatabaseDep,
    settings: SettingsDep,
    principal: Writer,
    if_match: IfMatch = None,
) -> ContactPublic:
    contact = await service.update_contact(
        db,
        settings,
        principal=principal,
        contact_id=contact_id,
        data=data,
        version=expected_version(if_match),
    )
    return current(response, ContactPublic, contact)


@router.delete("/contacts/{contact_id}", summary="Delete a contact", status_code=204, responses=GUARDED_WRITE_ERRORS)
async def delete_contact(contact_id: int, db: DatabaseDep, principal: Writer, if_match: IfMatch = None) -> Response:
    await service.delete_contact(db, principal=principal, contact_id=contact_id, version=expected_version(if_match))
    return Response(status_code=204)


@router.post(
    "/contacts/{contact_id}/secret",
    summary="Rotate a webhook contact's secret; the new one is shown once",
    responses=WRITE_ERRORS,
)
async def rotate_contact_secret(
    contact_id: int, response: Response, db: DatabaseDep, settings: SettingsDep, principal: Writer
) -> ContactWithSecret:
    contact, secret = await service.rotate_secret(db, settings, principal=principal, contact_id=contact_id)
    return current(response, ContactWithSecret, {**contact, "secret": secret})
