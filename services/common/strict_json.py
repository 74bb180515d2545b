"""JSON bodies as the API reads them: a key twice in one object, NaN, Infinity, a number beyond a double or a
date outside the supported years are refused before any route sees the body.

Python's parser takes all of these: the last duplicate silently wins, `NaN` and `Infinity` are read as floats,
and `1e400` becomes infinity, which a database column then refuses with a 500. Each is found here with its path,
so the caller learns which field to fix.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from services.common.clock import SUPPORTED_YEARS, is_supported_year

# An ISO date or instant as a whole value ("2024-03-31", "2024-03-31T08:00:00+08:00"), and the cheap look for a year
# outside the supported ones that decides whether a body is walked for it.
DATE_TEXT = re.compile(r"(\d{4})-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}(?::?\d{2})?)?)?")
_QUOTED_DATE = re.compile(rb'"(\d{4})-\d{2}-\d{2}')


@dataclass(frozen=True, slots=True)
class BodyFault:
    """What is wrong with a body, and where (a path of keys and indexes inside it)."""

    path: tuple[str | int, ...]
    message: str
    kind: str  # duplicate_key (400: the body is ambiguous), finite_number or supported_date (422: out of range)


class _NotFinite:
    def __init__(self, text: str) -> None:
        self.text = text


class _Duplicated(dict[str, object]):
    def __init__(self, pairs: list[tuple[str, object]], key: str) -> None:
        super().__init__(pairs)
        self.key = key


def body_fault(body: bytes) -> BodyFault | None:
    """The first fault of a JSON body, or None (also for a body that is not JSON: the route's parser says so)."""
    flagged = False

    def number(text: str) -> float | _NotFinite:
        nonlocal flagged
        value = float(text)
        if math.isfinite(value):
            return value
        flagged = True
        return _NotFinite(text)

    def constant(text: str) -> _NotFinite:
        nonlocal flagged
        flagged = True
        return _NotFinite(text)

    # The parsed values are JSON's, or a _NotFinite or _Duplicated marking a fault: objects until _find looks.
    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        nonlocal flagged
        seen: set[str] = set()
        for key, _ in items:
            if key in seen:
                flagged = True
                return _Duplicated(items, key)
            seen.add(key)
        return dict(items)

    flagged = any(not is_supported_year(int(year)) for year in _QUOTED_DATE.findall(body))
    try:
        parsed = json.loads(body, object_pairs_hook=pairs, parse_float=number, parse_constant=constant)
    except (ValueError, RecursionError):
        return None
    return _find(parsed, ("body",)) if flagged else None


def unsupported_date(text: str) -> str | None:
    """Why a date or instant written as text is refused, or None (also for text that is no date)."""
    match = DATE_TEXT.fullmatch(text.strip())
    if match is None or is_supported_year(int(match.group(1))):
        return None
    return f"{text[:40]!r} is outside the supported years ({SUPPORTED_YEARS.start}–{SUPPORTED_YEARS.stop - 1})."


def _find(value: object, path: tuple[str | int, ...]) -> BodyFault | None:
    if isinstance(value, _NotFinite):
        return BodyFault(
            path,
            f"{value.text} is not a finite number: NaN, Infinity and numbers beyond ±1.7e308 are refused.",
            "finite_number",
        )
    if isinstance(value, _Duplicated):
        return BodyFault(path, f"the key {value.key!r} appears more than once in this object.", "duplicate_key")
    if isinstance(value, str):
        why = unsupported_date(value)
        return BodyFault(path, why, "supported_date") if why else None
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        found = _find(child, (*path, key))
        if found is not None:
            return found
    return None
