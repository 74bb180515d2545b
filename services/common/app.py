"""The application factory every service builds on: errors, guards, health, auth and the contract."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from sqlalchemy import Table

from services.common.auth import TokenVerifier
from services.common.collector import freeze_start_up_heap
from services.common.context import RequestContextMiddleware
from services.common.cors import add_cors
from services.common.db import Database, make_engine
from services.common.deps_factory import get_readiness
from services.common.docs import FASTAPI_DOCS_OFF, DocsTokenGuard, install_docs
from services.common.events.catalogue import EventType
from services.common.events.contract import declare_webhooks, event_types_router
from services.common.guards import RequestGuardMiddleware, prepare_guards
from services.common.idempotency import IdempotencyMiddleware
from services.common.json import JSONBytesResponse, JsonObject
from services.common.metrics import Probe, metrics_router
from services.common.observe import ObserveMiddleware
from services.common.openapi import PUBLIC, build_contract
from services.common.problems import install_problem_handlers, problem_response, problem_responses
from services.common.readiness import ReadinessCheck
from services.common.route_index import index_routes
from services.common.secrets import SecretBox, redact_url_secrets_in_logs
from services.common.settings import DocsAccess, ServiceSettings
from services.common.streaming import index_streamed
from services.common.tracing import telemetry_config

Hook = Callable[[FastAPI], Awaitable[None]]


def _operation_id(route: APIRoute) -> str:
    # The function name is the operationId: readable in generated clients, unique per service.
    return route.name


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    version: str,
    routers: Sequence[APIRouter],
    idempotency_table: Table,
    extra_media_types: tuple[str, ...] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    events: Sequence[EventType] = (),
    probes: Sequence[Probe] = (),
) -> FastAPI:
    """A FastAPI app with everything the three services share already in place."""
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=_lifespan(settings, on_startup, on_shutdown),
        default_response_class=JSONBytesResponse,
        generate_unique_id_function=_operation_id,
        responses=problem_responses(414, 431, 500),  # any request: its target or head past the limits (guards.py)
        # Request spans only when an exporter is configured (services/common/tracing.py).
        telemetry=telemetry_config(settings.service_name, settings.otel_exporter_otlp_endpoint),
        **FASTAPI_DOCS_OFF,
    )
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(settings)
    app.state.idempotency_table = idempotency_table
    app.state.response_box = SecretBox(settings.sealing_secret)
    redact_url_secrets_in_logs()  # feed and robot URLs hold tokens; errors may quote them
    install_problem_handlers(app)
    _add_middleware(app, settings, extra_media_types)
    _add_routes(app, settings, routers, events, probes)
    app.openapi = lambda: _contract(app)  # type: ignore[method-assign]
    return app


def _add_routes(
    app: FastAPI,
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    events: Sequence[EventType],
    probes: Sequence[Probe],
) -> None:
    """The docs, the health probes, the metrics, the service's routers and its event catalogue, with their guards
    and index."""
    install_docs(app, settings.docs_access)
    metrics = metrics_router(settings.service_name, probes)
    for router in [_health_router(settings.service_name), metrics, *routers, event_types_router(events)]:
        app.include_router(router)
    declare_webhooks(app, events)
    prepare_guards(app.routes)
    index_routes(app.router)
    index_streamed(app)


def _lifespan(
    settings: ServiceSettings, on_startup: Sequence[Hook], on_shutdown: Sequence[Hook]
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Open the database (and its driver pool) and run the service's hooks while the app serves."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(
            make_engine(settings.resolved_database_url(), pool_size=settings.database_pool_size)
        )
        await app.state.database.open_driver_pool()
        app.state.readiness = ReadinessCheck(settings.service_name, app.state.database)
        await app.state.readiness.check()  # a missing database is said in the log at start; the service still starts
        for hook in on_startup:
            await hook(app)
        freeze_start_up_heap()
        try:
            yield
        finally:
            for hook in on_shutdown:
                await hook(app)
            await app.state.database.dispose()

    return lifespan


def _add_middleware(app: FastAPI, settings: ServiceSettings, extra_media_types: tuple[str, ...]) -> None:
    """The shared layers, each added outside the ones before it."""
    # Order matters: the guard (outermost) bounds the body before idempotency buffers it.
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(
        RequestGuardMiddleware, max_body_bytes=settings.max_body_bytes, extra_media_types=extra_media_types
    )
    if settings.docs_access is DocsAccess.TOKEN:
        app.add_middleware(DocsTokenGuard)
    # Outside every layer that asks who the caller is (the docs guard, idempotency, the routes): resolved once.
    app.add_middleware(RequestContextMiddleware, verifier=app.state.token_verifier)
    add_cors(app, settings)  # only when origins are configured
    # Outermost: it sees every answer, CORS preflights and the guards' refusals too. It also sets the answer's
    # language (what LanguageMiddleware does, without a layer of its own): the guards' and CORS's refusals are
    # problem documents too, said in the caller's language.
    app.add_middleware(ObserveMiddleware, service=settings.service_name, access_lines=settings.access_log)


class Liveness(BaseModel):
    """The process answers (存活)."""

    status: str = Field(description="Always ok.", examples=["ok"])


class Readiness(BaseModel):
    """The service can serve (就绪): its database answers and is at the migration head."""

    status: str = Field(description="Always ready.", examples=["ready"])
    migration: str = Field(description="The database's Alembic revision.", examples=["2026-11-20-0900_outbox"])


def _health_router(service: str) -> APIRouter:
    router = APIRouter(tags=["health"])

    # /livez is the name Kubernetes' own components give the same probe (deploy/kubernetes/ probes it).
    @router.get("/livez", summary="Liveness: the process is up", operation_id="livez", openapi_extra=PUBLIC)
    @router.get("/healthz", summary="Liveness: the process is up", operation_id="healthz", openapi_extra=PUBLIC)
    async def healthz() -> Liveness:
        return Liveness(status="ok")

    @router.get(
        "/readyz",
        summary="Readiness: the database answers and is at the migration head",
        operation_id="readyz",
        responses=problem_responses(503),
        openapi_extra=PUBLIC,
        response_model=Readiness,
    )
    async def readyz(readiness: Annotated[ReadinessCheck, Depends(get_readiness)]) -> Any:
        migration, not_ready = await readiness.check()
        if not_ready:
            return problem_response(
                503, not_ready.detail, slug="not-ready", headers={"Retry-After": str(not_ready.retry_after_seconds)}
            )
        return {"status": "ready", "migration": migration}

    return router


def _contract(app: FastAPI) -> JsonObject:
    """The OpenAPI document (services/common/openapi.py), built once."""
    if not app.openapi_schema:
        app.openapi_schema = build_contract(app)
    return app.openapi_schema
