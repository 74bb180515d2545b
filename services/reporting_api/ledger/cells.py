"""The text of the ledger's composite cells: indicator values with their measures, and local times."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import NamedTuple

from services.common.clock import SHANGHAI


class IndicatorLabel(NamedTuple):
    name: str
    measure: str  # " km" after the value, or "" for an indicator without a unit


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else format(value, ".15g")


def values_text(indicators: Mapping[int, IndicatorLabel], values: dict[int, tuple[float, date]]) -> str:
    """Each indicator's latest value, as `name: value measure (as of)`, in indicator order."""
    parts = []
    for indicator_id, (value, as_of) in sorted(values.items()):
        name, measure = indicators.get(indicator_id) or (f"指标{indicator_id}", "")
        parts.append(f"{name}: {_number(value)}{measure} ({as_of.isoformat()})")
    return "；".join(parts)


def local_time(moment: datetime | None) -> str:
    """Beijing time to the minute; blank for none."""
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return aware.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
