"""OpenTelemetry tracing, on only when there is somewhere to send the spans.

With OTEL_EXPORTER_OTLP_ENDPOINT set (e.g. http://otel-collector:4318), each process makes one SDK tracer provider
that exports over OTLP/HTTP in batches, the service name as its resource; FastAPI's native telemetry traces every
request under it (the incoming `traceparent` is the parent), and the httpx and asyncpg instrumentations add a span
per peer call (carrying the trace on) and per statement. Unset, nothing is traced or exported and FastAPI's
telemetry is off (asking the providers on each request costs a list page 3 % of its CPU); the caller's `traceparent`
is still passed on (services/common/correlation.py).

Tests install a provider of their own (an in-memory exporter) with `install`.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from functools import cache
from typing import Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

OFF: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
UNTRACED_PATHS = frozenset({"/metrics", "/livez", "/healthz", "/readyz"})  # probes and scrapes: noise, every second
_ASYNCPG = AsyncPGInstrumentor()  # type: ignore[no-untyped-call]  # (a singleton, as every instrumentor)
_installed: list[TracerProvider] = []  # at most one: the provider `install` put in place of the configured one


def install(provider: TracerProvider | None) -> None:
    """Trace the apps made from now on under `provider` (None: back to the configuration); tests use it."""
    _installed.clear()
    if provider is not None:
        _installed.append(provider)
        _instrument(provider)
    else:
        _uninstrument()


def tracer_provider(service: str, otlp_endpoint: str) -> TracerProvider | None:
    """The provider a service's requests are traced under, or None when tracing is off."""
    if _installed:
        return _installed[0]
    return _otlp_provider(service) if otlp_endpoint else None


def telemetry_config(service: str, otlp_endpoint: str) -> TelemetryConfig:
    """FastAPI's `telemetry=`: request spans when a provider is configured (no metrics or logs through it: the
    metrics are Prometheus', the logs JSON lines), else off."""
    provider = tracer_provider(service, otlp_endpoint)
    if provider is None:
        return OFF
    return {**OFF, "tracing": True, "tracer_provider": provider, "operation_spans": False, "exclude": _untraced}


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


@cache
def _otlp_provider(service: str) -> TracerProvider:
    """One provider a process, exporting over OTLP/HTTP (the exporter reads OTEL_EXPORTER_OTLP_* itself)."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    _instrument(provider)
    return provider


def _instrument(provider: TracerProvider) -> None:
    """Spans for httpx requests (peer calls and webhooks, which then carry this trace) and asyncpg statements."""
    _uninstrument()
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _ASYNCPG.instrument(tracer_provider=provider)


def _uninstrument() -> None:
    for instrumentor in (HTTPXClientInstrumentor(), _ASYNCPG):
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()
