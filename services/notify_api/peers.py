"""notify_api's second peer: reporting_api, which knows who has not reported (its tasks_api peer is common)."""

from __future__ import annotations

from typing import Annotated

import httpx
from fastapi import Depends, Request

from services.common.contracts.reporting import ReportingClient
from services.common.peers import Hook, peer_hooks


def reporting_client_hooks(transport: httpx.AsyncBaseTransport | None = None) -> tuple[Hook, Hook]:
    """Hooks that hold the reporting_api client on `app.state.reporting`."""
    return peer_hooks(
        "reporting", "reporting_api", lambda settings: settings.reporting_api_url, ReportingClient, transport
    )


async def _reporting(request: Request) -> ReportingClient:  # async: no thread-pool hop (common/db.get_database)
    reporting: ReportingClient = request.app.state.reporting
    return reporting


ReportingDep = Annotated[ReportingClient, Depends(_reporting)]
