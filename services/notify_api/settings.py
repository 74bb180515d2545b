"""notify_api settings, read from NOTIFY_API_* environment variables."""

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict({**ServiceSettings.model_config, "env_prefix": "NOTIFY_API_"})
    service_name: ClassVar[str] = "notify_api"
