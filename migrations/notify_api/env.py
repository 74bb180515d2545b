"""Alembic environment of notify_api: its own tables and version table."""

from services.common.migrations import run_env
from services.notify_api.models import metadata
from services.notify_api.settings import NotifySettings

run_env("notify_api", metadata, NotifySettings().resolved_database_url())
