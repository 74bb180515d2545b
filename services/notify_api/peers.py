"""notify_api's second peer: reporting_api, which knows who has not reported (its tasks_api peer is common)."""

from __future__ import annotations

import httpx

from services.common.contracts.reporting import ReportingClient
from services.common.peers import Hook, peer_hooks


def reporting_client_hooks(transport: httpx.AsyncBaseTransport | None = None) -> tuple[Hook, Hook]:
    """Hooks that hold the reporting_api client on `app.state.reporting`."""
    return peer_hooks(
        "reporting", "reporting_api", lambda settings: settings.reporting_api_url, ReportingClient, transport
    )
