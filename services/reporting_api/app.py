"""The reporting_api application."""

from fastapi import FastAPI

from services.common.app import create_service_app
from services.reporting_api.db import idempotency_keys
from services.reporting_api.settings import ReportingSettings

DESCRIPTION = """Reporting periods (报送周期), progress reports (进展报告) and their review (审核), roll-ups (汇总),
traffic lights (红黄绿灯), annual assessment (年度考核) and ledger exports (台账)."""


def create_app(settings: ReportingSettings | None = None) -> FastAPI:
    return create_service_app(settings or ReportingSettings(), title="duban reporting_api", description=DESCRIPTION,
                              version="0.1.0", routers=[], idempotency_table=idempotency_keys)
