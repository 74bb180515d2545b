"""bench/memory_held.py lets go of what reporting_api keeps, one holder at a time: each release empties the holder it
names, so what its last figure shows is held by no cache."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bench.memory_held import RELEASES
from services.reporting_api.app import create_app
from services.reporting_api.settings import ReportingSettings


@pytest.fixture
def app(tmp_path) -> Iterator[FastAPI]:
    app = create_app(ReportingSettings(environment="test", database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db"))
    with TestClient(app):  # started: its database and peer clients exist
        yield app


def _kept(app: FastAPI) -> dict[str, int]:
    """How many entries each holder keeps."""
    http = app.state.tasks.http
    return {
        "memo": len(app.state.rollup_memo.answers),
        "shapes": len(app.state.plan_shapes.kept),
        "walks": len(app.state.compliance_walks.views),
        "peer": len(http.cache) + len(http.parsed) + len(http.urls) + len(http.revalidated.walks),
    }


def _fill(app: FastAPI) -> None:
    http, entry = app.state.tasks.http, SimpleNamespace(size=1)  # what the sized caches count
    app.state.rollup_memo.keep(("plan", 1), "inputs", "answer")
    app.state.plan_shapes.kept.put((1, '"etag"'), entry)
    app.state.compliance_walks.views.put(("walk", 1), entry)
    http.cache.put("/v1/plans/1", entry)
    http.urls.put(("/v1/plans/1", ()), "http://tasks/v1/plans/1")
    http.revalidated.walks.put(("/v1/plans", (), None), entry)


def test_each_cache_release_empties_the_holder_it_names(app):
    _fill(app)
    emptied = []
    for _step, release in RELEASES[:4]:
        asyncio.run(release(app))
        emptied.append([name for name, count in _kept(app).items() if count == 0])
    assert emptied == [["memo"], ["memo", "shapes"], ["memo", "shapes", "walks"], ["memo", "shapes", "walks", "peer"]]
