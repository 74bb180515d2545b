"""The contacts' SQL: typed rows out. A row holds its sealed values; what callers see (ContactShown) never does."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, TypedDict, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common.records import Records
from services.common.tables import table_of
from services.notify_api.contacts.models import Contact
from services.notify_api.db import change_log

contacts = table_of(Contact)
contact_records: Records[ContactRow] = Records(contacts, "contact", change_log)
# What a list shows: every column but the sealed ones, and whether there is a secret.
SEALED = ("secret_encrypted", "target_sealed")
LIST_COLUMNS = [
    *(c for c in contacts.c if c.name not in SEALED),
    contacts.c.secret_encrypted.is_not(None).label("has_secret"),
]


class _ContactFields(TypedDict):
    id: int
    owner_kind: str
    owner_id: int
    channel: str
    target: str  # a token in the URL masked; the whole URL is in target_sealed
    label: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    version: int


class ContactRow(_ContactFields):
    """A contact as stored, its sealed values included."""

    target_sealed: bytes | None
    secret_encrypted: bytes | None


class ContactShown(_ContactFields):
    """A contact as callers see it: whether it has a secret, never the secret."""

    has_secret: bool


class ContactTarget(TypedDict):
    """Where a contact's notifications go, as stored: the shape of the deliverer's SealedTarget (deliveries/targets.py,
    a room above this one)."""

    id: int
    address: str
    address_sealed: bytes | None
    secret_encrypted: bytes | None
    enabled: bool


Sealed = dict[str, bytes | None]  # sealed column → its new value
TARGET_COLUMNS = (
    contacts.c.id,
    contacts.c.target.label("address"),
    contacts.c.target_sealed.label("address_sealed"),
    contacts.c.secret_encrypted,
    contacts.c.enabled,
)


def shown(row: ContactRow) -> ContactShown:
    return ContactShown(
        id=row["id"],
        owner_kind=row["owner_kind"],
        owner_id=row["owner_id"],
        channel=row["channel"],
        target=row["target"],
        label=row["label"],
        enabled=row["enabled"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        has_secret=row["secret_encrypted"] is not None,
    )


async def insert_contact(conn: AsyncConnection, values: dict[str, Any], *, actor: str) -> ContactRow:
    return await contact_records.insert(conn, values, actor=actor)


async def get_contact(conn: AsyncConnection, contact_id: int) -> ContactRow:
    """The contact, or 404."""
    return await contact_records.get(conn, contact_id)


async def find_contact(conn: AsyncConnection, contact_id: int) -> ContactRow | None:
    return await contact_records.find(conn, contact_id)


async def sealed_targets(conn: AsyncConnection, ids: Collection[int]) -> list[ContactTarget]:
    rows = await conn.execute(select(*TARGET_COLUMNS).where(contacts.c.id.in_(ids)))
    return [cast(ContactTarget, dict(row)) for row in rows.mappings()]


async def contact_page(
    conn: AsyncConnection, *, where: list[Any], after_id: int | None, limit: int
) -> list[ContactShown]:
    rows = await contact_records.page(conn, where=where, after_id=after_id, limit=limit, columns=LIST_COLUMNS)
    return cast(list[ContactShown], rows)


async def update_contact(
    conn: AsyncConnection, contact_id: int, changes: dict[str, Any], *, expected_version: int | None, actor: str
) -> ContactRow:
    row = await contact_records.update(conn, contact_id, changes, expected_version=expected_version, actor=actor)
    return row


async def store_sealed(conn: AsyncConnection, row: ContactRow, values: dict[str, Any]) -> ContactRow | None:
    """Write sealed values (and any bookkeeping in `values`) if the row is still at the version read; the row
    after, or None when another transaction changed it meanwhile."""
    same_version = (contacts.c.id == row["id"]) & (contacts.c.version == row["version"])
    result = await conn.execute(contacts.update().where(same_version).values(**values).returning(*contacts.c))
    stored = result.mappings().first()
    return cast(ContactRow, dict(stored)) if stored is not None else None


async def clear_sealed(conn: AsyncConnection, contact_id: int) -> None:
    await conn.execute(
        contacts.update().where(contacts.c.id == contact_id).values(secret_encrypted=None, target_sealed=None)
    )
