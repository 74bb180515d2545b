"""JSON: the type of a parsed document, and the fast encoding shared by responses and stored payloads."""

from __future__ import annotations

from array import array
from datetime import UTC, datetime
from typing import Any, TypeAlias

import orjson
from fastapi.responses import JSONResponse

# Instants are written in UTC; SQLite hands them back naive, so a naive one is the UTC it was written in. Every
# instant leaves in one RFC 3339 form, UTC with Z (2026-12-03T08:15:00.123456Z, the fraction when there is one),
# as pydantic writes the response models: never +00:00.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z
# The same less OPT_NON_STR_KEYS, which sends every dict down orjson's slower path (a list page encodes in 60% of the
# time without it). Its output is the same for a document whose keys are all str; orjson refuses any other key
# (TypeError), and the document is then encoded again with the option.
_STR_KEYS_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z

# A JSON document as parsed (an OpenAPI contract, an event's data): the checker makes a reader narrow each value
# before using it as an object, an array or a scalar.
JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None
JsonObject: TypeAlias = dict[str, JsonValue]


def json_object(value: JsonValue) -> JsonObject:
    """`value`, which the document's shape says is an object (TypeError if it is not: the document is malformed)."""
    if not isinstance(value, dict):
        raise TypeError(f"a JSON object was expected, not {type(value).__name__}")
    return value


def json_array(value: JsonValue) -> list[JsonValue]:
    """`value`, which the document's shape says is an array (TypeError if it is not)."""
    if not isinstance(value, list):
        raise TypeError(f"a JSON array was expected, not {type(value).__name__}")
    return value


def json_text(value: JsonValue) -> str:
    """`value`, which the document's shape says is a string (TypeError if it is not)."""
    if not isinstance(value, str):
        raise TypeError(f"a JSON string was expected, not {type(value).__name__}")
    return value


def json_number(value: JsonValue) -> float:
    """`value`, which the document's shape says is a number (TypeError if it is not)."""
    if not isinstance(value, int | float):
        raise TypeError(f"a JSON number was expected, not {type(value).__name__}")
    return value


def _default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def dumps(value: Any) -> bytes:
    """Encode to UTF-8 JSON bytes; Chinese text stays as text, not \\u escapes."""
    try:
        return orjson.dumps(value, default=_default, option=_STR_KEYS_OPTIONS)
    except TypeError:  # a key that is not a str (or a value nothing encodes: refused again below)
        return orjson.dumps(value, default=_default, option=_OPTIONS)


loads = orjson.loads


def render(content: Any) -> bytes:
    """A response body. UTC instants end in Z, as pydantic writes them: a list whose rows go straight to orjson
    reads like the same record answered through its response model."""
    return dumps(content)


def instant_text(moment: datetime) -> str:
    """An instant as the text every response carries (for a payload kept as JSON text before it is sent)."""
    aware = moment.astimezone(UTC) if moment.tzinfo else moment
    return orjson.dumps(aware, option=_OPTIONS)[1:-1].decode()


class JSONBytesResponse(JSONResponse):
    """A JSON response encoded with orjson (FastAPI still documents it as JSON in the contract)."""

    def render(self, content: Any) -> bytes:
        return render(content)


_JSON_TYPE = (b"content-type", b"application/json")


class PageBytes(JSONBytesResponse):
    """A 200 list page with its Link, its headers written as they are sent: the same headers, in the same order, as
    JSONBytesResponse(page, headers={"Link": link}) writes, without Starlette's generic pass over the headers given
    (lower-cased and encoded one by one, then searched for a content-length and a content-type) on every page."""

    def __init__(self, content: Any, link: str | None) -> None:
        self.status_code = 200
        self.background = None
        self.body = render(content)
        length = (b"content-length", str(len(self.body)).encode("latin-1"))
        self.raw_headers = [(b"link", link.encode("latin-1")), length, _JSON_TYPE] if link else [length, _JSON_TYPE]


def integer_list(text: str | None) -> list[int]:
    """A comma-separated text of integers (SQL's aggregate of a column; None for none), whole: for small values
    (shared objects) or those about to become keys anyway."""
    return loads(f"[{text}]") if text else []


INTEGERS_PIECE = 64 * 1024  # characters of a comma-separated text of integers parsed at a time (about 4,000 of them)


def integers(text: str | None) -> array[int]:
    """A comma-separated text of integers (SQL's aggregate of a column; None for none) as machine integers, parsed a
    piece of the text at a time: a province's 100,000 values are never 100,000 int objects at once."""
    found, at = array("q"), 0
    while text and at < len(text):
        cut = text.find(",", at + INTEGERS_PIECE)
        cut = len(text) if cut < 0 else cut
        found.extend(array("q", loads(f"[{text[at:cut]}]")))  # an array made of the list is copied whole: cheaper
        at = cut + 1
    return found
