"""Prometheus metrics: what every service counts, and `GET /metrics` in the text exposition format.

Counters and histograms are prometheus_client's. With several worker processes on one host (uvicorn --workers, or an
API and its worker sharing a volume) set PROMETHEUS_MULTIPROC_DIR to an empty directory writable by all of them,
before they start: prometheus_client then keeps each process's values in a file there and `/metrics` sums them.
Values that the database knows better than any one process (the outbox's backlog and its age, dead letters) are read
from the database when scraped, so every replica reports the same truth however many there are.

`/metrics` is behind a token like every endpoint but health: Prometheus scrapes with a service token
(`authorization: {credentials_file: ...}` in its scrape config); an admin's or the office's token reads it too.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess, start_http_server
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from services.common.auth import Principal, Role, require_roles
from services.common.db import Database

TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8"  # what promtool and every Prometheus read
# A probe reads scrape-time values from the service's database (the outbox's backlog, dead letters).
Probe = Callable[[Database], Awaitable[Sequence[Metric]]]


def gauge(name: str, documentation: str, value: float, labels: dict[str, str] | None = None) -> GaugeMetricFamily:
    """One scrape-time gauge, with one sample (labelled when `labels` are given)."""
    family = GaugeMetricFamily(name, documentation, labels=list(labels or {}))
    family.add_metric(list((labels or {}).values()), value)
    return family


class _Families(Collector):
    """Metrics already read (by the probes, which are async) handed to prometheus_client, which collects in sync."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


def pool_metrics(service: str, database: Database) -> list[Metric]:
    """The connections of the service's pools, in use and open, from the pools themselves (this process's own)."""
    pool: Any = database.engine.pool
    in_use = GaugeMetricFamily(
        "duban_db_pool_connections_in_use", "Database connections lent out now.", labels=["service", "pool"]
    )
    size = GaugeMetricFamily("duban_db_pool_connections", "Database connections open now.", labels=["service", "pool"])
    if hasattr(pool, "checkedout"):  # SQLAlchemy's queue pool (PostgreSQL); SQLite's file pool keeps no count
        in_use.add_metric([service, "engine"], pool.checkedout())
        size.add_metric([service, "engine"], pool.checkedin() + pool.checkedout())
    driver = database.driver_pool.sizes()
    if driver is not None:
        in_use.add_metric([service, "driver"], driver[1] - driver[0])
        size.add_metric([service, "driver"], driver[1])
    return [in_use, size]


def _process_registry() -> CollectorRegistry:
    """This process's metrics, or in multiprocess mode (PROMETHEUS_MULTIPROC_DIR) every process's, summed."""
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    processes = CollectorRegistry()
    multiprocess.MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
    return processes


def serve_worker_metrics(address: str) -> None:
    """A worker process's metrics on their own internal port (`host:port`), for Prometheus: a worker answers no
    API requests, so there is no token to check; keep the port off the public network."""
    host, _, port = address.rpartition(":")
    start_http_server(int(port), addr=host or "127.0.0.1", registry=_process_registry())


async def exposition(service: str, database: Database, probes: Sequence[Probe]) -> bytes:
    """The text format of this process's (or, in multiprocess mode, every process's) metrics and the probes'."""
    processes = _process_registry()
    families = pool_metrics(service, database)
    for probe in probes:
        families += await probe(database)
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_Families(families))
    return generate_latest(processes) + generate_latest(scraped)


MetricsReader = Annotated[Principal, Depends(require_roles(Role.SERVICE, Role.OFFICE))]


def metrics_router(service: str, probes: Sequence[Probe]) -> APIRouter:
    """`GET /metrics`, left out of the contract: it is for the operators' Prometheus, not for API clients."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request, _: MetricsReader) -> Response:
        body = await exposition(service, request.app.state.database, probes)
        return Response(body, media_type=TEXT_FORMAT)

    return router
