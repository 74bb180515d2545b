"""Every reporting_api table, imported in one place so that Alembic and the tests see the whole metadata."""

from services.reporting_api.db import change_log, idempotency_keys, metadata

__all__ = ["change_log", "idempotency_keys", "metadata"]
