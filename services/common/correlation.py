"""What ties the log lines and spans of one piece of work together, across the services: the request id and the W3C
trace context (traceparent), set for the request being served and carried on every call it makes.

A request id comes from the caller's `X-Request-ID` when it is a safe one (bounded, a token's charset: it is
written into every log line and echoed in a header), else it is made here. The trace context is OpenTelemetry's
current span when tracing is on (services/common/tracing.py); when it is off the caller's `traceparent` is passed on
unchanged, so a trace that started upstream still spans this service's peer calls, outbox events and webhooks.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace

REQUEST_ID_HEADER = "X-Request-ID"
MAX_REQUEST_ID = 128
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,%d}" % MAX_REQUEST_ID)
# W3C Trace Context level 1, version 00: lower-case hex, and neither id all zeros.
_TRACEPARENT = re.compile(rb"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}")

REQUEST_ID: ContextVar[str | None] = ContextVar("duban_request_id", default=None)
INCOMING_TRACEPARENT: ContextVar[str | None] = ContextVar("duban_traceparent", default=None)


def request_id_from(value: bytes | None) -> str:
    """The caller's request id when it is a safe one, else a new one: this process's random prefix and a count,
    unique without a system call per request (a request id names a request; it is no secret)."""
    if value is not None and _SAFE_REQUEST_ID.fullmatch(value):
        return value.decode("ascii")
    return f"{_process[0]}{next(_process[1]):016x}"


def _new_process() -> None:
    _process[:] = [os.urandom(8).hex(), itertools.count()]


_process: list[Any] = []  # [16 hex digits of randomness, a count]: renewed in a forked child
_new_process()
os.register_at_fork(after_in_child=_new_process)


def traceparent_from(value: bytes | None) -> str | None:
    """A well-formed W3C traceparent, or None (a malformed one is dropped, as the W3C recommendation says)."""
    if value is not None and _TRACEPARENT.fullmatch(value):
        return value.decode("ascii")
    return None


def trace_headers() -> dict[str, str]:
    """The trace context an outgoing call carries: the current span's when tracing is on, else the caller's as it
    came in (nothing when there is neither)."""
    if trace.get_current_span().get_span_context().is_valid:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return carrier
    incoming = INCOMING_TRACEPARENT.get()
    return {"traceparent": incoming} if incoming else {}


def outgoing_headers() -> dict[str, str]:
    """The headers a peer call carries besides its own: the request id and the trace context."""
    headers = trace_headers()
    request_id = REQUEST_ID.get()
    if request_id is not None:
        headers[REQUEST_ID_HEADER] = request_id
    return headers


def current_trace_id() -> str | None:
    """The trace id (32 hex digits) of the work in progress, for the log lines; None outside any trace."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        return format(context.trace_id, "032x")
    incoming = INCOMING_TRACEPARENT.get()
    return incoming[3:35] if incoming else None


@contextmanager
def continued(traceparent: str | None) -> Iterator[None]:
    """Work done later on behalf of a traced request (an outbox event's relay, a webhook's delivery) continues its
    trace: calls made in the block carry it (as the parent of their own spans when tracing is on)."""
    if not traceparent:
        yield
        return
    attached = otel_context.attach(propagate.extract({"traceparent": traceparent}))
    incoming = INCOMING_TRACEPARENT.set(traceparent)
    try:
        yield
    finally:
        INCOMING_TRACEPARENT.reset(incoming)
        otel_context.detach(attached)
