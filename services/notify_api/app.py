"""The notify_api application."""

from fastapi import FastAPI

from services.common.app import create_service_app
from services.notify_api.db import idempotency_keys
from services.notify_api.settings import NotifySettings

DESCRIPTION = """Deadlines (时限), reminder rules (催办规则), reliable delivery of notices to webhooks, e-mail and
group robots, and calendar feeds."""


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    return create_service_app(settings or NotifySettings(), title="duban notify_api", description=DESCRIPTION,
                              version="0.1.0", routers=[], idempotency_table=idempotency_keys)
