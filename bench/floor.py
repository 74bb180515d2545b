"""The framework's floor: the CPU one request costs through each layer the services stand on, with no work behind
it, against a bare ASGI function answering the same body.

The list figures compare a service with a bare ASGI app doing the page's work (bench/baseline.py). This says how much
of the gap is there before any work of ours: each entry answers the same fixed body, handed on by one more layer.

    python -m bench.floor --prefix bench --requests 20000

- bare ASGI: the function itself;
- Starlette's router: a Starlette app whose route hands the request to the function;
- FastAPI's stack: a FastAPI app (its outer layers, exception handling, router) whose route does the same;
- the service's stack: tasks_api's whole app (observe, request context with a verified token, guards, idempotency,
  FastAPI's layers) with that route first;
- a FastAPI route: an ordinary route with one integer path parameter, solved by FastAPI per request.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bench.generate import ADMIN_DSN, Target
from bench.list_cost import App, call, serving
from services.common import loops
from services.common.auth import mint_token
from services.tasks_api.app import create_app
from services.tasks_api.settings import TasksSettings

PATH = "/v1/floor/{plan_id}"
URL = "http://floor/v1/floor/1"
BODY = b'{"data":[]}'
WARM_UP = 200


async def bare(scope: Scope, receive: Receive, send: Send) -> None:
    await Response(BODY, media_type="application/json")(scope, receive, send)


class Direct(Route):
    """A route that hands its request to the bare function, nothing solved."""

    def __init__(self) -> None:
        super().__init__(PATH, endpoint=_unused)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await bare(scope, receive, send)


def _unused(*_: object) -> None:  # Route wants an endpoint; Direct.handle never calls it
    raise AssertionError


def fastapi_route() -> FastAPI:
    app, router = FastAPI(), APIRouter()

    @router.get(PATH)
    async def floor(plan_id: int) -> Response:
        return Response(BODY, media_type="application/json")

    app.include_router(router)
    return app


def fastapi_stack() -> FastAPI:
    app = FastAPI()
    app.router.routes.append(Direct())
    return app


async def cpu_us(app: App, headers: dict[str, str], requests: int) -> float:
    """CPU µs a request; RuntimeError when a request is not answered 200."""
    for _ in range(WARM_UP):
        if (status := await call(app, URL, headers)) != 200:
            raise RuntimeError(f"the floor request answered {status}")
    started = time.process_time()
    for _ in range(requests):
        await call(app, URL, headers)
    return (time.process_time() - started) / requests * 1e6


async def floors(settings: TasksSettings, requests: int) -> dict[str, float]:
    """CPU µs a request through each layer, in the order above."""
    service = create_app(settings)
    service.router.routes.insert(0, Direct())
    token = {"Authorization": f"Bearer {mint_token(settings, role='office', subject='bench')}"}
    entries: list[tuple[str, Callable[[], Awaitable[float]]]] = [
        ("bare ASGI", lambda: cpu_us(bare, {}, requests)),
        ("Starlette's router", lambda: cpu_us(Starlette(routes=[Direct()]), {}, requests)),
        ("FastAPI's stack", lambda: cpu_us(fastapi_stack(), {}, requests)),
        ("the service's stack", lambda: cpu_us(service, token, requests)),
        ("a FastAPI route", lambda: cpu_us(fastapi_route(), {}, requests)),
    ]
    async with serving(service):
        return {name: await measure() for name, measure in entries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--admin-dsn", default=ADMIN_DSN)
    parser.add_argument("--requests", type=int, default=20000)
    args = parser.parse_args()
    target = Target(args.prefix, args.admin_dsn)
    settings = TasksSettings(environment="test", database_url=target.url("tasks_api"))
    found = loops.run(floors(settings, args.requests))  # the loop the services run on
    for name, spent in found.items():
        print(f"{name:22} {spent:6.1f} µs", flush=True)


if __name__ == "__main__":
    main()
