"""reporting_api settings, read from REPORTING_API_* environment variables."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class ReportingSettings(ServiceSettings):
    model_config = SettingsConfigDict({**ServiceSettings.model_config, "env_prefix": "REPORTING_API_"})
    service_name: ClassVar[str] = "reporting_api"
    tasks_api_url: str = Field("http://127.0.0.1:8001", description="Where tasks_api answers.")
