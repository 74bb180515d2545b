"""One trace across the services: a request to reporting_api that reads tasks_api is one trace, the peer call's span
the parent of tasks_api's (OpenTelemetry SDK with an in-memory exporter in place of OTLP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from services.common import tracing
from services.reporting_api.app import create_app as create_reporting_app
from services.tasks_api.app import create_app as create_tasks_app
from tests.conftest import Headers, reporting_settings, serve_in_thread, tasks_settings

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def exported() -> Iterator[InMemorySpanExporter]:
    """The spans of the apps made in the test, kept in memory."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    yield exporter
    tracing.install(None)


def test_a_request_crossing_two_services_is_one_trace(
    exported: InMemorySpanExporter, quzhou_database: str, reporting_database: str, auth: Headers
) -> None:
    with serve_in_thread(create_tasks_app(tasks_settings(quzhou_database))) as tasks_url:
        app = create_reporting_app(reporting_settings(reporting_database, tasks_url))
        with TestClient(app, raise_server_exceptions=False) as client:
            client.get("/v1/plans/999999/compliance", params={"period": "2024-Q1"}, headers=auth("office"))
    spans = exported.get_finished_spans()
    servers = {span.name: span for span in spans if span.kind is SpanKind.SERVER}
    reporting, tasks = servers["GET /v1/plans/{plan_id}/compliance"], servers["GET /v1/plans/{plan_id}/structure"]
    assert tasks.context.trace_id == reporting.context.trace_id
    peer_call = next(
        span for span in spans if span.kind is SpanKind.CLIENT and span.context.span_id == tasks.parent.span_id
    )
    assert peer_call.context.trace_id == reporting.context.trace_id


def test_without_an_otlp_endpoint_nothing_is_traced() -> None:
    assert tracing.telemetry_config("tasks_api", otlp_endpoint="") == tracing.OFF
