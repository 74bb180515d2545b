"""The settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_SECRET = "duban-development-secret-change-me-0123456789"


class ServiceSettings(BaseSettings):
    """Settings common to tasks_api, reporting_api and notify_api."""

    model_config = SettingsConfigDict(extra="ignore", env_file=".env", env_file_encoding="utf-8")
    service_name: ClassVar[str] = ""

    environment: str = Field("development", description="development | test | production")
    database_url: str = Field("", description="SQLAlchemy async URL; empty means var/<service>.db (SQLite).")
    database_pool_size: int = 10
    jwt_secret: str = Field(DEVELOPMENT_SECRET, description="HS256 key for locally minted tokens.")
    jwt_algorithms: list[str] = Field(["HS256"], description="Allowed JWT algorithms (never 'none').")
    jwt_issuer: str = "duban"
    jwt_audience: str = "duban"
    oidc_jwks_url: str = Field("", description="When set, trust tokens signed by this OIDC issuer's JWKS.")
    max_body_bytes: int = Field(1024 * 1024, description="Larger request bodies are refused with 413.")
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base of links shown to people (front end).")
    peer_timeout_seconds: float = Field(2.0, description="Timeout of one call to a peer service.")
    peer_budget_seconds: float = Field(5.0, description="Total time a request may spend on a peer, retries included.")
    peer_cache_seconds: float = Field(30.0, description="How long lookups from peer services are reused.")
    notify_api_url: str = Field("", description="Where notify_api answers; when set, this service relays its outbox "
                                                "of events there in the background. Empty: relay off.")

    @model_validator(mode="after")
    def _refuse_development_secret_in_production(self) -> "ServiceSettings":
        if self.environment == "production" and not self.oidc_jwks_url and self.jwt_secret == DEVELOPMENT_SECRET:
            raise ValueError("set a real JWT secret (or an OIDC JWKS URL) in production")
        if "none" in {a.lower() for a in self.jwt_algorithms}:
            raise ValueError("the 'none' JWT algorithm is never allowed")
        return self

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under var/."""
        if self.database_url:
            return self.database_url
        var = REPO_ROOT / "var"
        var.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{var / (self.service_name + '.db')}"
