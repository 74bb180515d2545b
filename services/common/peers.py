"""Opening and closing the typed clients of peer services with the app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI

from services.common.auth import ServiceToken
from services.common.contracts.tasks import TasksClient
from services.common.http import ServiceClient
from services.common.peer_guard import strict_in
from services.common.settings import ServiceSettings

Hook = Callable[[FastAPI], Any]


def peer_hooks(
    attribute: str,
    peer: str,
    url: Callable[[Any], str],
    wrap: Callable[[ServiceClient], Any],
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[Hook, Hook]:
    """Start-up and shut-down hooks that put `wrap(ServiceClient(...))` on `app.state.<attribute>`."""

    async def open_client(app: FastAPI) -> None:
        settings: ServiceSettings = app.state.settings
        http = ServiceClient(
            url(settings),
            ServiceToken(settings),
            peer=peer,
            timeout=settings.peer_timeout_seconds,
            budget=settings.peer_budget_seconds,
            cache_seconds=settings.peer_cache_seconds,
            cache_bytes=settings.peer_cache_bytes,
            url_memory=settings.peer_url_cache_size,
            transport=transport,
            strict_transactions=strict_in(settings),
        )
        setattr(app.state, attribute, wrap(http))

    async def close_client(app: FastAPI) -> None:
        await getattr(app.state, attribute).http.aclose()

    return open_client, close_client


def tasks_client_hooks(transport: httpx.AsyncBaseTransport | None = None) -> tuple[Hook, Hook]:
    """Hooks for the tasks_api client that reporting_api and notify_api both hold on `app.state.tasks`."""
    return peer_hooks("tasks", "tasks_api", lambda settings: settings.tasks_api_url, TasksClient, transport)
