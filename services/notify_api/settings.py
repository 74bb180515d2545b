"""notify_api settings, read from NOTIFY_API_* environment variables."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import DEVELOPMENT_SECRET, MIN_SECRET_BYTES, Environment, ServiceSettings

# Modelled on the well-known webhook senders: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_RETRY_SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


class NotifySettings(ServiceSettings):
    model_config = SettingsConfigDict({**ServiceSettings.model_config, "env_prefix": "NOTIFY_API_"})
    service_name: ClassVar[str] = "notify_api"

    tasks_api_url: str = Field("http://127.0.0.1:8001", description="Where tasks_api answers.")
    reporting_api_url: str = Field("http://127.0.0.1:8002", description="Where reporting_api answers.")
    public_url: str = Field(
        "http://127.0.0.1:8003",
        description="Where people's calendar clients reach notify_api: "
        "the base of feed URLs (never the request's Host).",
    )
    secret_key: str = Field(DEVELOPMENT_SECRET, description="Encrypts webhook and robot secrets at rest.")
    allow_private_targets: bool | None = Field(
        None,
        description="Allow webhook targets on loopback and private networks (SSRF guard); "
        "default: allowed outside production.",
    )
    delivery_timeout_seconds: float = Field(15.0, description="Timeout of one delivery (webhook, robot, SMTP).")
    retry_schedule_seconds: list[int] = Field(
        DEFAULT_RETRY_SCHEDULE, description="Delay before each attempt; after the last, dead."
    )
    lease_seconds: int = Field(60, description="A claimed notification is due again after this long.")
    dispatch_interval_seconds: int = Field(0, description="The worker runs a dispatch every N seconds; 0: off.")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_use_tls: bool = Field(False, description="Implicit TLS (SMTPS, usually port 465).")
    smtp_start_tls: bool = Field(False, description="STARTTLS after connecting (usually port 587).")
    smtp_sender: str = "duban@quzhou.gov.cn"

    def refusals(self) -> list[tuple[str, str]]:
        found = super().refusals()
        if self.environment is Environment.PRODUCTION:
            if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key.encode()) < MIN_SECRET_BYTES:
                found.append(
                    (
                        "secret_key",
                        f"required in production: at least {MIN_SECRET_BYTES} bytes, not the development default",
                    )
                )
            if self.allow_private_targets:
                found.append(
                    ("allow_private_targets", "webhook targets on private networks are refused in production (SSRF)")
                )
        return found

    @property
    def sealing_secret(self) -> str:
        return self.secret_key

    @property
    def private_targets_allowed(self) -> bool:
        if self.allow_private_targets is not None:
            return self.allow_private_targets
        return self.environment is not Environment.PRODUCTION
