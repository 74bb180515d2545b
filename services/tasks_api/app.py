"""The tasks_api application."""

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.events.catalogue import TASKS, published_by
from services.common.evidence.storage import blob_store
from services.common.outbox import outbox_probe
from services.tasks_api.assignments.router import router as assignments_router
from services.tasks_api.closeout.router import router as closeout_router
from services.tasks_api.db import idempotency_keys, outbox_events
from services.tasks_api.deadlines.router import router as deadlines_router
from services.tasks_api.delegations.router import router as delegations_router
from services.tasks_api.evidence.router import router as evidence_router
from services.tasks_api.history.router import router as history_router
from services.tasks_api.items.router import router as items_router
from services.tasks_api.links.router import router as links_router
from services.tasks_api.people.router import router as people_router
from services.tasks_api.plans.router import router as plans_router
from services.tasks_api.plans.workbook.router import router as workbook_router
from services.tasks_api.search.router import router as search_router
from services.tasks_api.settings import TasksSettings
from services.tasks_api.targets.router import router as targets_router
from services.tasks_api.units.router import router as units_router

DESCRIPTION = """Plans (行动计划), their item tree (任务), responsible units (责任单位), leaders and groups,
responsibilities (责任分工), indicators (指标) and milestones (节点) of a supervised action plan."""


def create_app(settings: TasksSettings | None = None) -> FastAPI:
    settings = settings or TasksSettings.load()
    app = create_service_app(
        settings,
        title="duban tasks_api",
        description=DESCRIPTION,
        version="4.0.0",
        routers=[
            plans_router,
            workbook_router,
            items_router,
            links_router,
            targets_router,
            assignments_router,
            deadlines_router,
            units_router,
            people_router,
            history_router,
            closeout_router,
            delegations_router,
            evidence_router,
            search_router,
        ],
        idempotency_table=idempotency_keys,
        probes=[outbox_probe(outbox_events)],
        extra_media_types=(
            "application/yaml",
            "application/x-yaml",
            "text/yaml",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        events=published_by(TASKS),
    )
    app.state.evidence_store = blob_store(settings, settings.service_name)
    return app
