"""reporting_api's peer: tasks_api, through its typed client."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request

from services.common.auth import ServiceToken
from services.common.contracts.tasks import TasksClient
from services.common.http import ServiceClient
from services.reporting_api.settings import ReportingSettings


def tasks_client_hook(transport: httpx.AsyncBaseTransport | None = None):
    """Start-up and shut-down hooks that open and close the tasks_api client on the app."""

    async def open_client(app: FastAPI) -> None:
        settings: ReportingSettings = app.state.settings
        http = ServiceClient(settings.tasks_api_url, ServiceToken(settings), peer="tasks_api",
                             timeout=settings.peer_timeout_seconds, budget=settings.peer_budget_seconds,
                             cache_seconds=settings.peer_cache_seconds, transport=transport)
        app.state.tasks = TasksClient(http)

    async def close_client(app: FastAPI) -> None:
        await app.state.tasks.http.aclose()

    return open_client, close_client


def get_tasks(request: Request) -> TasksClient:
    return request.app.state.tasks


TasksDep = Annotated[TasksClient, Depends(get_tasks)]
