"""The evidence table, the same in every service that keeps files, and its rows as the services read and answer them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypedDict

import sqlalchemy as sa
from pydantic import BaseModel, Field

from services.common.openapi import ANSWER_CONFIG

TABLE = "evidence"


def evidence_table(metadata: sa.MetaData) -> sa.Table:
    """One row per stored file: whose it is (owner kind and id, and the unit), what it is, and where it is kept."""
    return sa.Table(TABLE, metadata, *_columns(), *_constraints(), sqlite_autoincrement=True)


def _columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("owner_kind", sa.String(20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        # The owner's stage when the file was attached (a report's submissions): a later stage froze it.
        sa.Column("owner_stage", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _constraints() -> list[Any]:
    return [
        sa.UniqueConstraint("storage_key", name="ux_evidence_storage_key"),
        sa.UniqueConstraint("created_by", "idempotency_key", name="ux_evidence_idempotency"),
        sa.Index("ix_evidence_owner", "owner_kind", "owner_id", "id"),
    ]


def create_evidence_table(op: Any) -> None:
    """The migration step that creates the table (each service's own history calls it)."""
    op.create_table(TABLE, *_columns(), *_constraints()[:2], sqlite_autoincrement=True)
    op.create_index("ix_evidence_owner", TABLE, ["owner_kind", "owner_id", "id"])


def drop_evidence_table(op: Any) -> None:
    op.drop_index("ix_evidence_owner", table_name=TABLE)
    op.drop_table(TABLE)


class EvidenceRow(TypedDict):
    """A row of the evidence table."""

    id: int
    owner_kind: str
    owner_id: int
    owner_stage: int
    unit_id: int | None
    filename: str
    media_type: str
    size: int
    sha256: str
    storage_key: str
    idempotency_key: str | None
    created_by: str
    created_at: datetime
    version: int


class EvidencePublic(BaseModel):
    """A file attached as evidence (佐证材料): its name, type (read from its content), size and SHA-256."""

    model_config = ANSWER_CONFIG
    id: int = Field(description="The evidence id.")
    owner_kind: str = Field(description="What the file is attached to: report, closeout or instruction.")
    owner_id: int = Field(description="The id of the report, close-out request or instruction.")
    unit_id: int | None = Field(description="The unit whose file it is (the owner's unit).")
    filename: str = Field(description="The file's name as uploaded (文件名).", examples=["2024年一季度进展佐证.pdf"])
    media_type: str = Field(description="The type read from the file's content.", examples=["application/pdf"])
    size: int = Field(description="Size in bytes.", examples=[482113])
    sha256: str = Field(
        description="SHA-256 of the bytes (hex); also the download's ETag.",
        examples=["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"],
    )
    created_by: str = Field(description="Who uploaded it.")
    created_at: datetime = Field(description="When it was uploaded.")
    frozen: bool = Field(description="true once the owner moved on (a report submitted): it can no longer be deleted.")
    version: int = Field(description="The record's version (its ETag); evidence never changes once stored.")
