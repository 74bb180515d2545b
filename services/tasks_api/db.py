"""tasks_api's own metadata, its shared tables."""

from datetime import datetime

from sqlalchemy import DateTime
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from services.common.evidence.table import evidence_table
from services.common.history import change_log_table
from services.common.idempotency import idempotency_table
from services.common.jobs import jobs_table
from services.common.openapi import ANSWER_CONFIG
from services.common.outbox import outbox_table

KEY_PATTERN = r"^[A-Za-z0-9._-]+$"  # stable external ids: safe in URLs, file names and Excel


class TasksModel(SQLModel, registry=registry()):
    """Base of every tasks_api model: its own metadata, so its migrations see only its tables."""

    model_config = ANSWER_CONFIG


metadata = TasksModel.metadata
change_log = change_log_table(metadata)
idempotency_keys = idempotency_table(metadata)
job_queue = jobs_table(metadata)
outbox_events = outbox_table(metadata)
evidence_files = evidence_table(metadata)


class Stamped(TasksModel):
    """Bookkeeping every versioned table carries: the ETag version and when it was made and changed."""

    version: int = Field(1, description="Increments on every change; the record's ETag.")
    created_at: datetime = Field(sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(sa_type=DateTime(timezone=True))
