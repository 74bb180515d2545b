"""Alembic environment of reporting_api: its own tables and version table."""

from services.common.migrations import run_env
from services.reporting_api.models import metadata
from services.reporting_api.settings import ReportingSettings

run_env("reporting_api", metadata, ReportingSettings().resolved_database_url())
