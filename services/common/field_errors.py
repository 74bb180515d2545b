"""One invalid input of a validation problem (422): as the contract documents it, and as the handler writes it."""

from __future__ import annotations

from typing import TypedDict

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it."""

    location: list[str | int] = Field(description="Path to the offending value, e.g. ['body', 'title'].")
    pointer: str | None = Field(
        None,
        description="The same place as a JSON Pointer (RFC 6901) into the request seen as "
        '{"body": …, "query": …, "path": …, "header": …}, e.g. /body/title or /query/to.',
    )
    message: str = Field(description="What is wrong with it, in the answer's language (错误说明).")
    type: str = Field(
        description="Machine-readable kind of error, e.g. missing or string_too_long, or business_rule for an "
        "input a business rule refused (错误类别)."
    )
    line: int | None = Field(None, description="Line in an uploaded file, where the input is a file.")


class FieldErrorEntry(TypedDict):
    """A FieldError as the handlers write it into a problem's `errors` (without `line`)."""

    location: list[str | int]
    pointer: str
    message: str
    type: str


def json_pointer(location: tuple[str | int, ...] | list[str | int]) -> str:
    """RFC 6901: each step escaped (~ as ~0, / as ~1) and prefixed with a slash."""
    return "".join("/" + str(step).replace("~", "~0").replace("/", "~1") for step in location)


def field_error(location: tuple[str | int, ...], message: str, kind: str) -> FieldErrorEntry:
    return {"location": list(location), "pointer": json_pointer(location), "message": message, "type": kind}
