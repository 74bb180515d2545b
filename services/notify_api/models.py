"""Every notify_api table, imported in one place so that Alembic and the tests see the whole metadata."""

from services.notify_api.db import change_log, idempotency_keys, metadata

__all__ = ["change_log", "idempotency_keys", "metadata"]
