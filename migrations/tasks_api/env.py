"""Alembic environment of tasks_api: its own tables and version table."""

from services.common.migrations import run_env
from services.tasks_api.models import metadata
from services.tasks_api.settings import TasksSettings

run_env("tasks_api", metadata, TasksSettings().resolved_database_url())
