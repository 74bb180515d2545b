"""Logs as JSON lines, one event a line: time, level, service, logger, message, the request and trace ids of the
work in progress, and the event's own fields (the access line's route, status, duration and subject).

A small `logging.Formatter` over orjson rather than a library: it is a dozen lines, and the access line is written
for every request. The redaction filters (services/common/secrets.py) run before any formatter, on the loggers
themselves, so what they take out of a message or a traceback never reaches the line; and no field whose name says
it holds a credential is written, whatever a caller passes in `extra`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

from services.common.correlation import REQUEST_ID, current_trace_id

# The attributes every LogRecord has; anything else on a record came from `extra` and is written as a field.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}
_SECRET_WORDS = ("token", "secret", "password", "authorization", "cookie", "key")


class JsonFormatter(logging.Formatter):
    """One JSON object per record."""

    def __init__(self, service: str = "duban") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (request_id := REQUEST_ID.get()) is not None:
            event["request_id"] = request_id
        if (trace_id := current_trace_id()) is not None:
            event["trace_id"] = trace_id
        fields = record.__dict__
        for name in fields.keys() - _STANDARD:  # the few `extra` fields, without a look at the twenty standard ones
            if _written(name):
                event[name] = fields[name]
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            event["exception"] = record.exc_text  # already redacted when a filter put it there
        return orjson.dumps(event, default=str).decode()


_WRITTEN: dict[str, bool] = {}  # a record attribute's name → whether it is written: the same few names, every line
_NAMES_KEPT = 1024


def _written(name: str) -> bool:
    written = _WRITTEN.get(name)
    if written is None:
        written = not any(word in name.lower() for word in _SECRET_WORDS)
        if len(_WRITTEN) < _NAMES_KEPT:
            _WRITTEN[name] = written
    return written


def log_config(service: str, level: str = "info") -> dict[str, object]:
    """A logging.config.dictConfig for a service's process (uvicorn takes it as `log_config`): every logger as JSON on
    stderr; uvicorn's own access line is off, services/common/observe.py writes a richer one."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
    }
