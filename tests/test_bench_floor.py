"""bench/floor.py: each layer the services stand on answers the floor request, and each is timed."""

from __future__ import annotations

import asyncio

from bench.floor import floors
from services.tasks_api.settings import TasksSettings

LAYERS = ["bare ASGI", "Starlette's router", "FastAPI's stack", "the service's stack", "a FastAPI route"]


def test_every_layer_answers_the_floor_request_and_is_timed(tmp_path):
    settings = TasksSettings(environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    found = asyncio.run(floors(settings, requests=20))  # RuntimeError if a layer does not answer 200
    assert list(found) == LAYERS
    assert all(spent > 0 for spent in found.values())
