"""The Prometheus instruments every service shares (prometheus_client's), named by Prometheus' conventions: a
`duban_` prefix, base units (seconds), `_total` on counters (added by the library). services/common/metrics.py
serves them; services/notify_api/deliveries/meters.py has the reminders' and deliveries' own.

With PROMETHEUS_MULTIPROC_DIR set before the process starts, each value lives in a file of that directory and
`/metrics` sums the processes (the in-flight gauge sums the live ones only)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_LABELS = ("service", "method", "route", "status")
# Seconds: a list page answers in a few milliseconds, a roll-up or an export in up to seconds.
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter("duban_http_requests", "HTTP requests answered, by route template and status.", HTTP_LABELS)
HTTP_DURATION = Histogram(
    "duban_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template and status.",
    HTTP_LABELS,
    buckets=LATENCY_BUCKETS,
)
HTTP_IN_FLIGHT = Gauge(
    "duban_http_requests_in_flight", "HTTP requests being served now.", ["service"], multiprocess_mode="livesum"
)
PEER_RETRIES = Counter("duban_peer_call_retries", "Calls to a peer service sent again after a failure.", ["peer"])
OUTBOX_PUBLISHED = Counter("duban_outbox_events_published", "Outbox events relayed to notify_api.", ["service"])
OUTBOX_REFUSED = Counter(
    "duban_outbox_relay_failures", "Relay attempts that notify_api did not take (retried next round).", ["service"]
)
