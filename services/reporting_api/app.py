"""The reporting_api application."""

import httpx
from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.events.catalogue import REPORTING, published_by
from services.common.evidence.storage import blob_store
from services.common.memory import MemoryTrim
from services.common.outbox import outbox_probe
from services.common.peers import tasks_client_hooks
from services.reporting_api.assessment.router import router as assessment_router
from services.reporting_api.db import idempotency_keys, outbox_events
from services.reporting_api.evidence.router import router as evidence_router
from services.reporting_api.history.router import router as history_router
from services.reporting_api.instructions.router import router as instructions_router
from services.reporting_api.ledger.router import router as ledger_router
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.router import router as oversight_router
from services.reporting_api.oversight.shape import PlanShapes
from services.reporting_api.oversight.walks import ComplianceWalks
from services.reporting_api.periods.router import router as periods_router
from services.reporting_api.reports.lateness import judge_again
from services.reporting_api.reports.router import router as reports_router
from services.reporting_api.search.router import router as search_router
from services.reporting_api.settings import ReportingSettings

DESCRIPTION = """Reporting periods (报送周期), progress reports (进展报告) and their review (审核), roll-ups (汇总),
traffic lights (红黄绿灯), annual assessment (年度考核), ledger exports (台账) and leader instructions (领导批示)."""


def create_app(
    settings: ReportingSettings | None = None, tasks_transport: httpx.AsyncBaseTransport | None = None
) -> FastAPI:
    """The app; `tasks_transport` lets tests put a fault-injecting transport in front of tasks_api."""
    open_tasks, close_tasks = tasks_client_hooks(tasks_transport)
    settings = settings or ReportingSettings.load()
    app = create_service_app(
        settings,
        title="duban reporting_api",
        description=DESCRIPTION,
        version="1.4.0",
        routers=[
            periods_router,
            reports_router,
            evidence_router,
            oversight_router,
            assessment_router,
            ledger_router,
            instructions_router,
            history_router,
            search_router,
        ],
        idempotency_table=idempotency_keys,
        probes=[outbox_probe(outbox_events)],
        on_startup=[open_tasks],
        on_shutdown=[close_tasks],
        events=published_by(REPORTING),
    )
    # The app's own caches (one per app: tests' apps on their own databases never share an answer).
    app.state.evidence_store = blob_store(settings, settings.service_name)
    app.state.rollup_memo = InputMemo(settings.rollup_memo_size, settings.rollup_memo_rows)
    app.state.compliance_walks = ComplianceWalks(
        seconds=settings.compliance_walk_seconds, kept=settings.compliance_walks_kept
    )
    app.state.plan_shapes = PlanShapes(settings.plan_shape_rows, MemoryTrim())
    app.state.due_dates_moved = judge_again  # the periods room's due-date writes, followed in the reports room
    return app
