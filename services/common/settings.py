"""The settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import ClassVar, Self

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.roles import Role

REPO_ROOT = Path(__file__).resolve().parents[2]
DEVELOPMENT_SECRET = "duban-development-secret-change-me-0123456789"
MAX_UNIT_ID = 2**31 - 1  # ids are 32-bit in both databases
MIN_SECRET_BYTES = 32  # an HS256 key shorter than its 256-bit output is guessable offline from any token


class Environment(StrEnum):
    """Where the service runs; production turns on the checks that keep development defaults out."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class DocsAccess(StrEnum):
    """Who may read /docs, /redoc and /openapi.json: anyone, callers with a valid token, or nobody."""

    PUBLIC = "public"
    TOKEN = "token"
    OFF = "off"


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")


def cors_refusals(origins: list[str], allow_credentials: bool) -> list[tuple[str, str]]:
    """A browser sends an origin as scheme://host[:port], never with a path or a trailing slash: anything else would
    never match. '*' lets every site read the answers, which with credentials is what CORS exists to prevent."""
    found = []
    if "*" in origins and allow_credentials:
        found.append(("cors_origins", "'*' is refused when CORS_ALLOW_CREDENTIALS is true; list the origins"))
    malformed = [origin for origin in origins if origin != "*" and not _ORIGIN.fullmatch(origin)]
    if malformed:
        found.append(("cors_origins", f"not an origin (scheme://host[:port], no path): {', '.join(malformed)}"))
    return found


class SettingsRefused(ValueError):
    """Settings that must not run; each line names the environment variable and why."""


class ServiceSettings(BaseSettings):
    """Settings common to tasks_api, reporting_api and notify_api."""

    model_config = SettingsConfigDict(extra="ignore", env_file=".env", env_file_encoding="utf-8")
    service_name: ClassVar[str] = ""

    environment: Environment = Field(
        Environment.DEVELOPMENT,
        description="development | test | production (any letter case); anything else refuses to start.",
    )
    database_url: str = Field("", description="SQLAlchemy async URL; empty means var/<service>.db (SQLite).")
    database_pool_size: int = 10
    jwt_secret: str = Field(DEVELOPMENT_SECRET, description="HS256 key for locally minted tokens.")
    jwt_algorithms: list[str] = Field(["HS256"], description="Allowed JWT algorithms (never 'none').")
    jwt_issuer: str = "duban"
    jwt_audience: str = "duban"
    oidc_jwks_url: str = Field("", description="When set, trust tokens signed by this OIDC issuer's JWKS.")
    oidc_jwks_refresh_seconds: float = Field(
        60.0, ge=0, description="At least this long between two JWKS fetches, however many unknown key ids arrive."
    )
    oidc_jwks_max_age_seconds: float = Field(3600.0, gt=0, description="Keys older than this are fetched again.")
    oidc_jwks_timeout_seconds: float = Field(5.0, gt=0, description="Timeout of one JWKS fetch.")
    oidc_groups_claim: str = Field("groups", description="The issuer's claim that lists the person's groups.")
    oidc_department_claim: str = Field("dept_code", description="The issuer's claim that holds the department code.")
    oidc_group_roles: dict[str, Role] = Field(
        {},
        description="Issuer group -> duban role, as JSON. Empty: the issuer's tokens carry duban's own role and "
        "unit_id claims. Set: the role comes from the groups only (the broadest mapped one wins); none mapped, 403.",
    )
    oidc_department_units: dict[str, int] = Field(
        {},
        description="Department code -> unit id (tasks_api's /v1/units), as JSON: the unit of a unit role; an "
        "unmapped department gets 403.",
    )
    max_body_bytes: int = Field(1024 * 1024, description="Larger request bodies are refused with 413.")
    public_base_url: str = Field("http://127.0.0.1:8000", description="Base of links shown to people (front end).")
    peer_timeout_seconds: float = Field(2.0, description="Timeout of one call to a peer service.")
    peer_budget_seconds: float = Field(5.0, description="Total time a request may spend on a peer, retries included.")
    peer_cache_seconds: float = Field(30.0, description="How long lookups from peer services are reused.")
    peer_cache_bytes: int = Field(
        2 * 1024 * 1024,
        ge=0,
        description="Bytes of peer answers (their JSON) a client keeps, and as much again of the rows parsed from "
        "them, least recently used out; in memory each byte of JSON takes up to ten (Python objects: pages of models), "
        "so 2 MiB holds at most about 20 MB; a plan's structure (slotted records) about twice its JSON: two typical "
        "plans' (0.74 MB of JSON, 1.3 MB of records each).",
    )
    peer_url_cache_size: int = Field(10_000, ge=1, description="Peer URLs a client remembers once built.")
    token_cache_size: int = Field(4096, ge=1, description="Verified bearer tokens remembered until they expire.")
    job_grace_seconds: float = Field(
        3.0,
        ge=0,
        description="A request's batch job (dispatch, ledger export) that no worker claims within this long is run by "
        "the API process itself (no worker running).",
    )
    job_lease_seconds: float = Field(
        60.0,
        gt=0,
        description="A worker's hold on the job it runs, renewed every third of it while the job runs: a worker that "
        "died is replaced on its job (an interval's relay or delivery included) after at most this long.",
    )
    job_wait_seconds: float = Field(300.0, gt=0, description="How long a request waits for its batch job (then 503).")
    notify_api_url: str = Field(
        "",
        description="Where notify_api answers; when set, this service's worker relays its outbox "
        "of events there every 2 s. Empty: relay off.",
    )
    cors_origins: list[str] = Field(
        [],
        description="Origins (scheme://host[:port]) whose browser pages may call this service, as a JSON list; "
        "empty: no CORS headers at all (the front end is served from the one origin, or nginx answers CORS).",
    )
    cors_allow_credentials: bool = Field(
        False, description="Let those pages send cookies or TLS client certificates (never with the origin '*')."
    )
    worker_metrics_address: str = Field(
        "",
        description="host:port where this service's worker process serves its own /metrics (dispatch rounds, "
        "deliveries, relay counts), unauthenticated: an internal port for Prometheus only. Empty: not served.",
    )
    access_log: bool = Field(True, description="One JSON line per request (method, route, status, duration, caller).")
    otel_exporter_otlp_endpoint: str = Field(
        default="",
        validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT",
        description="OTLP/HTTP endpoint spans are exported to (OpenTelemetry's own variable, no service prefix); "
        "empty: no tracing.",
    )
    docs: DocsAccess | None = Field(
        None,
        description="public | token | off: who may read the interactive docs and "
        "/openapi.json; default public, off in production (where "
        "public is refused).",
    )

    @field_validator("environment", "docs", mode="before")
    @classmethod
    def _any_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _refuse_unsafe_settings(self) -> Self:
        refusals = self.refusals()
        if refusals:
            raise SettingsRefused("\n".join(f"{self.variable(name)}: {why}" for name, why in refusals))
        return self

    def refusals(self) -> list[tuple[str, str]]:
        """(setting, why) for each setting this service must not run with; subclasses add their own."""
        found = []
        if "none" in {a.lower() for a in self.jwt_algorithms}:
            found.append(("jwt_algorithms", "the 'none' algorithm is never allowed"))
        found += cors_refusals(self.cors_origins, self.cors_allow_credentials)
        found += self._oidc_refusals()
        if self.environment is not Environment.PRODUCTION:
            return found
        if not self.oidc_jwks_url and (
            self.jwt_secret == DEVELOPMENT_SECRET or len(self.jwt_secret.encode()) < MIN_SECRET_BYTES
        ):
            found.append(
                (
                    "jwt_secret",
                    f"in production, at least {MIN_SECRET_BYTES} bytes and not the development "
                    "default (or set OIDC_JWKS_URL)",
                )
            )
        if self.docs is DocsAccess.PUBLIC:
            found.append(("docs", "in production the docs are off or behind a token (off | token)"))
        return found

    def _oidc_refusals(self) -> list[tuple[str, str]]:
        """The issuer grants people roles; a service role is duban's own, and a unit id outside 32 bits names none."""
        found = []
        if Role.SERVICE in self.oidc_group_roles.values():
            found.append(("oidc_group_roles", "a group may not map to the service role (calls between services)"))
        bad_units = [code for code, unit in self.oidc_department_units.items() if not 1 <= unit <= MAX_UNIT_ID]
        if bad_units:
            found.append(("oidc_department_units", f"not a unit id for: {', '.join(bad_units)}"))
        return found

    @classmethod
    def variable(cls, name: str) -> str:
        """The environment variable a setting is read from."""
        return f"{cls.model_config.get('env_prefix', '')}{name}".upper()

    @property
    def sealing_secret(self) -> str:
        """The secret that seals what a service keeps but must not hold in clear (idempotency replays)."""
        return self.jwt_secret

    @property
    def docs_access(self) -> DocsAccess:
        if self.docs is not None:
            return self.docs
        return DocsAccess.OFF if self.environment is Environment.PRODUCTION else DocsAccess.PUBLIC

    @classmethod
    def load(cls) -> Self:
        """The settings from the environment; refused ones are printed one line each, naming the variable, and the
        process stops, so a service never starts half-configured."""
        try:
            return cls()
        except ValidationError as exc:
            for error in exc.errors():
                cause = error.get("ctx", {}).get("error")
                if isinstance(cause, SettingsRefused):
                    lines = str(cause).splitlines()
                else:
                    name = ".".join(str(part) for part in error["loc"])
                    lines = [f"{cls.variable(name) if name else cls.__name__}: {error['msg']}"]
                for line in lines:
                    print(f"{cls.service_name}: refused setting {line}", file=sys.stderr)
            raise SystemExit(2) from None

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under var/."""
        if self.database_url:
            return self.database_url
        var = REPO_ROOT / "var"
        var.mkdir(exist_ok=True)
        return f"sqlite+aiosqlite:///{var / (self.service_name + '.db')}"
