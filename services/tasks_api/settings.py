"""tasks_api settings, read from TASKS_API_* environment variables."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from services.common.evidence.settings import EvidenceSettings
from services.common.settings import ServiceSettings


class TasksSettings(ServiceSettings, EvidenceSettings):
    model_config = SettingsConfigDict({**ServiceSettings.model_config, "env_prefix": "TASKS_API_"})
    service_name: ClassVar[str] = "tasks_api"
