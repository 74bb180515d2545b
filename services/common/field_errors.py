"""One invalid input of a validation problem (422): as the contract documents it, and as the handler writes it."""

from __future__ import annotations

from typing import TypedDict

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One invalid input: where it is and what is wrong with it."""

    location: list[str | int] = Field(description="Path to the offending value, e.g. ['body', 'title'].")
    message: str = Field(description="What is wrong with it, in English (错误说明).")
    type: str = Field(description="Machine-readable kind of error, e.g. missing or string_too_long (错误类别).")
    line: int | None = Field(None, description="Line in an uploaded file, where the input is a file.")


class FieldErrorEntry(TypedDict):
    """A FieldError as the validation handler writes it into a problem's `errors` (without `line`)."""

    location: list[str | int]
    message: str
    type: str
