"""The notify_api application."""

import httpx
from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.peers import tasks_client_hooks
from services.notify_api.db import idempotency_keys
from services.notify_api.settings import NotifySettings

DESCRIPTION = """Deadlines (时限), reminder rules (催办规则), reliable delivery of notices to webhooks, e-mail and
group robots, and calendar feeds."""


def create_app(settings: NotifySettings | None = None, tasks_transport: httpx.AsyncBaseTransport | None = None,
               reporting_transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """The app; the transports let tests put faults between notify_api and its peers."""
    open_tasks, close_tasks = tasks_client_hooks(tasks_transport)
    return create_service_app(settings or NotifySettings(), title="duban notify_api", description=DESCRIPTION,
                              version="0.2.0", routers=[], idempotency_table=idempotency_keys,
                              on_startup=[open_tasks], on_shutdown=[close_tasks])
