"""The evidence settings of a service that keeps files (tasks_api, reporting_api), under its own env prefix:
TASKS_API_EVIDENCE_BACKEND, REPORTING_API_EVIDENCE_S3_BUCKET, …"""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from services.common.settings import SettingsRefused

MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest part but the last


class EvidenceBackend(StrEnum):
    """Where evidence files are kept: a local directory, or S3-compatible object storage."""

    LOCAL = "local"
    S3 = "s3"


class EvidenceSettings(BaseSettings):
    """Mixed into a service's settings; the variables take that service's prefix."""

    evidence_backend: EvidenceBackend = Field(
        EvidenceBackend.LOCAL, description="local (a directory, EVIDENCE_DIR) | s3 (S3-compatible object storage)."
    )
    evidence_dir: str = Field("", description="The local directory of evidence files; empty: var/evidence/<service>.")
    evidence_max_bytes: int = Field(
        50 * 1024 * 1024, ge=1, description="Largest evidence file accepted, in bytes; larger uploads are 413."
    )
    evidence_s3_bucket: str = Field("", description="The bucket of evidence files (needed when the backend is s3).")
    evidence_s3_endpoint_url: str = Field(
        "", description="The S3-compatible endpoint (MinIO, OSS, COS…), e.g. https://oss.example.cn; empty: AWS."
    )
    evidence_s3_region: str = Field("", description="The region, where the store asks for one.")
    evidence_s3_access_key_id: str = Field("", description="Access key id; empty: boto3's own credential chain.")
    evidence_s3_secret_access_key: SecretStr = Field(SecretStr(""), description="Secret access key (never logged).")
    evidence_s3_prefix: str = Field("", description="A prefix of every object key, e.g. duban/reporting/.")
    evidence_s3_part_bytes: int = Field(
        8 * 1024 * 1024, ge=MIN_PART_BYTES, description="The size of one part of a multipart upload (at least 5 MiB)."
    )

    @model_validator(mode="after")
    def _refuse_s3_without_bucket(self) -> Self:
        if self.evidence_backend is EvidenceBackend.S3 and not self.evidence_s3_bucket:
            prefix = str(self.model_config.get("env_prefix", "")).upper()
            raise SettingsRefused(f"{prefix}EVIDENCE_S3_BUCKET: needed when {prefix}EVIDENCE_BACKEND is s3")
        return self
