"""Contacts: the channels a unit, a leader or the office is reached on, each enabled or not.

The office and admins manage every contact; a unit token manages only its own unit's. Signing secrets are
sealed at rest (SecretBox) and never read back: a webhook's `whsec_` secret is generated here and shown
once, at creation and at rotation; a DingTalk robot's `SEC…` secret comes from DingTalk and is only stored.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.common import clock
from services.common.auth import Principal
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.etag import stale
from services.common.field_errors import field_error
from services.common.history import record_change
from services.common.problems import Forbidden, NotFound, Unprocessable
from services.common.secrets import MASK, SecretBox, has_url_secret, masked_url, new_webhook_secret
from services.notify_api.contacts import repository
from services.notify_api.contacts.models import Channel, OwnerKind
from services.notify_api.contacts.repository import ContactRow, ContactShown, ContactTarget, Sealed, contacts
from services.notify_api.contacts.schemas import ContactCreate, ContactUpdate
from services.notify_api.contacts.targets import check_target
from services.notify_api.db import change_log
from services.notify_api.settings import NotifySettings


def _check_owner(principal: Principal, owner_kind: str, owner_id: int) -> None:
    if principal.is_staff:
        return
    if owner_kind != OwnerKind.UNIT or owner_id != principal.unit_id:
        raise Forbidden("A unit token manages only its own unit's contacts.")


def _check_secret(channel: Channel, secret: str | None) -> None:
    if secret is not None and channel is not Channel.DINGTALK:
        raise Unprocessable(
            "Only a DingTalk contact takes a secret; webhook secrets are generated, e-mail and WeCom have none."
        )


async def _seal(conn: AsyncConnection, row: ContactRow, sealed: Sealed, *, actor: str, as_change: bool) -> ContactRow:
    """Store sealed values (the secret, the target with its token); as a change of the secret (new version, history
    without it), or as part of the write that made the row (the history has the row without them)."""
    values: dict[str, Any] = dict(sealed)
    if as_change:
        values |= {"version": row["version"] + 1, "updated_at": clock.now()}
    stored = await repository.store_sealed(conn, row, values)
    if stored is None:
        raise stale(row["version"] + 1)
    if as_change:
        await record_change(
            conn,
            change_log,
            entity="contact",
            entity_id=row["id"],
            action="update",
            actor=actor,
            before={"secret": "(sealed)"},
            after={"secret": "(replaced)"},
        )
    return stored


def stored_target(box: SecretBox, target: str) -> tuple[str, bytes | None]:
    """(what the row shows, what it seals): a URL that carries a token is shown masked and kept sealed, because
    whoever has a robot's URL can post to its group."""
    if has_url_secret(target):
        return masked_url(target), box.seal(target)
    return target, None


async def seal_clear_targets(db: Database, settings: NotifySettings) -> int:
    """Seal the robot URLs stored in clear before targets were sealed, and blank their tokens in the change
    history (`duban contacts seal`: the key is the service's, so a migration cannot do it); how many were sealed."""
    box = SecretBox(settings.secret_key)
    async with db.transaction() as conn:
        clear = (
            await conn.execute(
                select(contacts.c.id, contacts.c.target, contacts.c.version).where(contacts.c.target_sealed.is_(None))
            )
        ).all()
        sealed = 0
        for contact_id, target, version in clear:
            if not has_url_secret(target) or MASK in target:
                continue
            shown, target_sealed = stored_target(box, target)
            await conn.execute(
                contacts.update()
                .where(contacts.c.id == contact_id, contacts.c.version == version)
                .values(target=shown, target_sealed=target_sealed)
            )
            sealed += 1
        entries = await conn.execute(
            select(change_log.c.id, change_log.c.changes).where(change_log.c.entity == "contact")
        )
        for entry_id, changes in entries.all():
            masked = _masked(changes)
            if masked != changes:
                await conn.execute(change_log.update().where(change_log.c.id == entry_id).values(changes=masked))
    return sealed


def _masked(value: Any) -> Any:
    """A history entry's changes with every URL token masked, as contacts show them."""
    if isinstance(value, str):
        return masked_url(value)
    if isinstance(value, list):
        return [_masked(v) for v in value]
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    return value


async def check_owner_exists(tasks: TasksClient, owner_kind: OwnerKind, owner_id: int) -> None:
    """A unit's or leader's contact names one tasks_api knows (asked before any transaction opens)."""
    lookup = {OwnerKind.UNIT: tasks.unit, OwnerKind.LEADER: tasks.leader}.get(owner_kind)
    if lookup is None:
        return
    try:
        await lookup(owner_id)
    except NotFound as exc:
        raise Unprocessable(
            f"body.owner_id: tasks_api has no {owner_kind.value} {owner_id}.",
            errors=[field_error(("body", "owner_id"), f"no such {owner_kind.value}", "unknown_owner")],
        ) from exc


async def create_contact(
    db: Database, settings: NotifySettings, tasks: TasksClient, *, data: ContactCreate, actor: Principal
) -> tuple[ContactShown, str | None]:
    """The new contact, and the webhook secret to show once (None for other channels)."""
    _check_owner(actor, data.owner_kind, data.owner_id)
    if (data.owner_kind is OwnerKind.OFFICE) != (data.owner_id == 0):
        raise Unprocessable("The office is owner_id 0, and only the office is.", at=("body", "owner_id"))
    await check_owner_exists(tasks, data.owner_kind, data.owner_id)
    return await add_contact(db, settings, data=data, actor=actor)


async def add_contact(
    db: Database, settings: NotifySettings, *, data: ContactCreate, actor: Principal
) -> tuple[ContactShown, str | None]:
    """Write a contact whose owner is known to exist (create_contact asks tasks_api; a bulk load read the units)."""
    _check_secret(data.channel, data.secret)
    box = SecretBox(settings.secret_key)
    shown, sealed_target = stored_target(
        box, check_target(data.channel, data.target, private_allowed=settings.private_targets_allowed)
    )
    secret = new_webhook_secret() if data.channel is Channel.WEBHOOK else data.secret
    async with db.transaction() as conn:
        row = await repository.insert_contact(
            conn, {**data.model_dump(exclude={"secret"}), "target": shown}, actor=actor.subject
        )
        sealed: Sealed = {
            "secret_encrypted": box.seal(secret) if secret is not None else None,
            "target_sealed": sealed_target,
        }
        if any(sealed.values()):
            row = await _seal(conn, row, sealed, actor=actor.subject, as_change=False)
    return repository.shown(row), secret if data.channel is Channel.WEBHOOK else None


async def list_contacts(
    db: Database,
    *,
    principal: Principal,
    after_id: int | None,
    limit: int,
    owner_kind: OwnerKind | None = None,
    owner_id: int | None = None,
    channel: Channel | None = None,
) -> list[ContactShown]:
    """Contacts, filtered; a unit token lists its own unit's only."""
    if not principal.is_staff:
        if owner_kind not in (None, OwnerKind.UNIT) or owner_id not in (None, principal.unit_id):
            raise Forbidden("A unit token lists only its own unit's contacts.")
        owner_kind, owner_id = OwnerKind.UNIT, principal.unit_id
    filters = ((contacts.c.owner_kind, owner_kind), (contacts.c.owner_id, owner_id), (contacts.c.channel, channel))
    where = [column == value for column, value in filters if value is not None]
    async with db.read() as conn:
        return await repository.contact_page(conn, where=where, after_id=after_id, limit=limit)


async def _mine(conn: AsyncConnection, principal: Principal, contact_id: int) -> ContactRow:
    row = await repository.get_contact(conn, contact_id)
    if not principal.party_to(*([row["owner_id"]] if row["owner_kind"] == OwnerKind.UNIT else [])):
        raise repository.contact_records.missing(contact_id)  # another unit's, or the office's: as if it did not exist
    _check_owner(principal, row["owner_kind"], row["owner_id"])
    return row


async def get_contact(db: Database, *, principal: Principal, contact_id: int) -> ContactShown:
    async with db.read() as conn:
        return repository.shown(await _mine(conn, principal, contact_id))


async def update_contact(
    db: Database, settings: NotifySettings, *, principal: Principal, contact_id: int, data: ContactUpdate, version: int
) -> ContactShown:
    changes = data.model_dump(exclude_unset=True)
    secret = changes.pop("secret", None)
    box = SecretBox(settings.secret_key)
    async with db.transaction() as conn:
        row = await _mine(conn, principal, contact_id)
        channel = Channel(row["channel"])
        _check_secret(channel, secret)
        sealed_target: Sealed = {}
        if changes.get("target") is not None:
            changes["target"], sealed_target["target_sealed"] = stored_target(
                box, check_target(channel, changes["target"], private_allowed=settings.private_targets_allowed)
            )
        row = await repository.update_contact(
            conn, contact_id, changes, expected_version=version, actor=principal.subject
        )
        if sealed_target:
            row = await _seal(conn, row, sealed_target, actor=principal.subject, as_change=False)
        if secret is not None:
            row = await _seal(
                conn, row, {"secret_encrypted": box.seal(secret)}, actor=principal.subject, as_change=True
            )
        return repository.shown(row)


async def delete_contact(db: Database, *, principal: Principal, contact_id: int, version: int) -> None:
    async with db.transaction() as conn:
        await _mine(conn, principal, contact_id)
        # The change history keeps the deleted record; it must not keep the secret, not even sealed (a stale
        # If-Match rolls this back with the rest).
        await repository.clear_sealed(conn, contact_id)
        await repository.contact_records.delete(conn, contact_id, expected_version=version, actor=principal.subject)


async def rotate_secret(
    db: Database, settings: NotifySettings, *, principal: Principal, contact_id: int
) -> tuple[ContactShown, str]:
    """A new webhook secret, in force at once; shown this one time."""
    secret = new_webhook_secret()
    async with db.transaction() as conn:
        row = await _mine(conn, principal, contact_id)
        if row["channel"] != Channel.WEBHOOK:
            raise Unprocessable(
                "Only webhook contacts have a generated secret to rotate; a DingTalk secret is replaced with PATCH."
            )
        row = await _seal(
            conn,
            row,
            {"secret_encrypted": SecretBox(settings.secret_key).seal(secret)},
            actor=principal.subject,
            as_change=True,
        )
    return repository.shown(row), secret


class ContactTargets:
    """Contacts as the deliverer reads them: its TargetSource of every notification not to a subscription."""

    async def sealed_targets(self, conn: AsyncConnection, ids: Collection[int]) -> list[ContactTarget]:
        return await repository.sealed_targets(conn, ids)

    async def disable(self, conn: AsyncConnection, target_id: int, *, reason: str, actor: str) -> None:
        """The receiver asked us to stop (410 Gone); a contact keeps no reason, its history shows the change."""
        if await repository.find_contact(conn, target_id) is not None:  # deleted meanwhile: nothing left to disable
            await repository.update_contact(conn, target_id, {"enabled": False}, expected_version=None, actor=actor)
