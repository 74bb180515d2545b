"""reporting_api settings, read from REPORTING_API_* environment variables."""

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.evidence.settings import EvidenceSettings
from services.common.settings import ServiceSettings


class ReportingSettings(ServiceSettings, EvidenceSettings):
    model_config = SettingsConfigDict({**ServiceSettings.model_config, "env_prefix": "REPORTING_API_"})
    service_name: ClassVar[str] = "reporting_api"
    tasks_api_url: str = Field("http://127.0.0.1:8001", description="Where tasks_api answers.")
    rollup_memo_size: int = Field(
        8, ge=1, description="Roll-up answers (and periods' reports parsed for compliance) kept with their inputs."
    )
    rollup_memo_rows: int = Field(
        40_000,
        ge=1,
        description="Rows (the period's rows a roll-up read, and its own; the reports of a period parsed for "
        "compliance) of the roll-up answers kept in all; an answer larger than this (the largest plans') is computed "
        "anew each time.",
    )
    compliance_walks_kept: int = Field(4, ge=1, description="Compliance views kept for the pages that follow.")
    plan_shape_rows: int = Field(
        20_000,
        ge=0,
        description="Records (items, responsibilities, indicators) of the plan shapes the oversight views keep, "
        "by structure ETag; the least recently used dropped first (a typical plan's 6,000 take about 1 MB beside the "
        "structure the peer cache holds, and a shape is dropped with its structure).",
    )
    compliance_walk_seconds: float = Field(120.0, gt=0, description="How long a kept compliance view is followed.")
