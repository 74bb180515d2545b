"""reporting_api's own metadata, its shared tables."""

from sqlalchemy.orm import registry
from sqlmodel import SQLModel

from services.common.evidence.table import evidence_table
from services.common.export_chunks import export_chunks_table
from services.common.history import change_log_table
from services.common.idempotency import idempotency_table
from services.common.jobs import jobs_table
from services.common.outbox import outbox_table


class ReportingModel(SQLModel, registry=registry()):
    """Base of every reporting_api model: its own metadata, so its migrations see only its tables."""


metadata = ReportingModel.metadata
change_log = change_log_table(metadata)
idempotency_keys = idempotency_table(metadata)
job_queue = jobs_table(metadata)
outbox_events = outbox_table(metadata)
export_chunks = export_chunks_table(metadata)
evidence_files = evidence_table(metadata)
