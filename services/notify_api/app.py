"""The notify_api application."""

import httpx
from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.events.catalogue import CATALOGUE
from services.common.peers import tasks_client_hooks
from services.notify_api.calendars.router import feed_router
from services.notify_api.calendars.router import router as calendars_router
from services.notify_api.contacts.router import router as contacts_router
from services.notify_api.db import idempotency_keys
from services.notify_api.deliveries.meters import notification_probe
from services.notify_api.deliveries.router import router as deliveries_router
from services.notify_api.dispatches.router import router as dispatches_router
from services.notify_api.events.router import router as events_router
from services.notify_api.history.router import router as history_router
from services.notify_api.peers import reporting_client_hooks
from services.notify_api.reminders.router import router as reminders_router
from services.notify_api.rules.router import router as rules_router
from services.notify_api.settings import NotifySettings
from services.notify_api.urgings.router import router as urgings_router

DESCRIPTION = """Deadlines (时限), reminder rules (催办规则), reliable delivery of notices to webhooks, e-mail and
group robots, and calendar feeds."""


def create_app(
    settings: NotifySettings | None = None,
    tasks_transport: httpx.AsyncBaseTransport | None = None,
    reporting_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The app; the transports let tests put faults between notify_api and its peers."""
    open_tasks, close_tasks = tasks_client_hooks(tasks_transport)
    open_reporting, close_reporting = reporting_client_hooks(reporting_transport)
    return create_service_app(
        settings or NotifySettings.load(),
        title="duban notify_api",
        description=DESCRIPTION,
        version="0.6.0",
        routers=[
            dispatches_router,
            deliveries_router,
            contacts_router,
            rules_router,
            reminders_router,
            calendars_router,
            feed_router,
            events_router,
            urgings_router,
            history_router,
        ],
        idempotency_table=idempotency_keys,
        probes=[notification_probe],
        on_startup=[open_tasks, open_reporting],
        on_shutdown=[close_reporting, close_tasks],
        # notify_api delivers every event to the subscriptions, its own and those the producers relay.
        events=tuple(CATALOGUE.values()),
    )
