"""notify_api's own metadata, its shared tables."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from services.common.history import change_log_table
from services.common.idempotency import idempotency_table
from services.common.jobs import jobs_table


class NotifyModel(SQLModel, registry=registry()):
    """Base of every notify_api model: its own metadata, so its migrations see only its tables."""


metadata = NotifyModel.metadata
change_log = change_log_table(metadata)
idempotency_keys = idempotency_table(metadata)
job_queue = jobs_table(metadata)
