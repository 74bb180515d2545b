"""The CPU time one request spends in services/common/observe.py (request id, metrics, access line), in µs.

`python -m bench.observe_cost` drives a routed request through the middleware around an app that answers at once
(the route already in the scope, as FastAPI leaves it), and the same app bare, on one event loop; the difference
per request is the middleware's cost. With the access line on, a JSON line goes to a null stream: its formatting
is counted, the terminal's write is not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from types import SimpleNamespace
from typing import Any

from services.common.logs import JsonFormatter
from services.common.observe import ObserveMiddleware

ROUTE = SimpleNamespace(path="/v1/plans/{plan_id}")


async def _app(scope: Any, receive: Any, send: Any) -> None:
    scope["route"] = ROUTE
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


async def _per_request(app: Any, n: int) -> float:
    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        return None

    headers = [(b"host", b"x"), (b"authorization", b"Bearer t"), (b"accept", b"application/json")]
    started = time.process_time()  # CPU, not wall time: the machine may be shared
    for _ in range(n):
        await app({"type": "http", "method": "GET", "path": "/v1/plans/7", "headers": headers}, receive, send)
    return (time.process_time() - started) / n * 1e6


def measure(n: int = 50_000, *, access_log: bool) -> float:
    """µs one request spends in the middleware (best of three rounds)."""
    logger = logging.getLogger("duban.access")
    handler = logging.StreamHandler(open("/dev/null", "w"))  # noqa: SIM115 - closed below
    handler.setFormatter(JsonFormatter("bench"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if access_log else logging.WARNING)
    logger.propagate = False
    observed = ObserveMiddleware(_app, service="bench")
    try:
        return min(asyncio.run(_per_request(observed, n)) - asyncio.run(_per_request(_app, n)) for _ in range(3))
    finally:
        logger.removeHandler(handler)
        handler.stream.close()


if __name__ == "__main__":
    print(f"metrics and request id only: {measure(access_log=False):.1f} µs per request")
    print(f"with the JSON access line:   {measure(access_log=True):.1f} µs per request")
