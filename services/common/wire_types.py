"""Inputs must arrive in the JSON type the contract declares, not in one pydantic would quietly convert.

Pydantic's lax mode turns `"due_on": 0` into 1970-01-01, `"position": false` into 0, `"approve": 0` into
false and `?as_of=0` into the Unix epoch: a client's mistake would be stored as a real deadline or decision.
Strict mode cannot be used instead, since FastAPI validates parsed JSON, where a strict date refuses text.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, TypedDict

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from services.common.auth import PrincipalDep
from services.common.guards import MAX_STORED_INT, declared_kind, model_of, route_guards
from services.common.json import loads

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class InputError(TypedDict):
    """An invalid input, as pydantic reports one (its loc, msg and type) for RequestValidationError to gather."""

    loc: tuple[str | int, ...]
    msg: str
    type: str


def _json_value_fits(kind: type, value: Any) -> bool:
    if value is None or (kind is date and isinstance(value, str)):
        return True
    if kind is bool:
        return isinstance(value, bool)
    if kind is int and isinstance(value, float):
        return value.is_integer()  # JSON Schema counts 2.0 as an integer
    return kind is not date and isinstance(value, (int, float)) and not isinstance(value, bool)


def _mistyped(location: tuple[str | int, ...], kind: type) -> InputError:
    expected = {date: "ISO 8601 text", bool: "true or false", int: "an integer", float: "a number"}[kind]
    return {"loc": location, "msg": f"Input should be {expected}", "type": "wire_type"}


async def reject_converted_inputs(request: Request, _: PrincipalDep) -> None:
    """Router dependency: a JSON body field or a date query value of another type than declared is invalid (422).

    It depends on the caller so that a request without a valid token is refused with 401 first, as it would be
    by FastAPI's own validation, which runs after the dependencies."""
    guards = route_guards(request.scope.get("route"))
    if guards is None:
        return
    errors = [
        _mistyped(("query", alias), date)
        for alias in guards.date_query
        if not _ISO_DATE.match(request.query_params.get(alias) or "0000-00-00")
    ]
    model = guards.body_model
    if model is not None:
        try:
            body = loads(await request.body())
        except ValueError:
            body = None  # not JSON: FastAPI's own validation answers that
        if mistyped := mistyped_fields(model, body, ("body",)):
            errors += mistyped + _other_body_errors(model, body)
    if errors:
        raise RequestValidationError(errors)


def _other_body_errors(model: type[BaseModel], body: Any) -> list[InputError]:
    """The body's remaining errors, which FastAPI's validation would have named had this guard not stopped it."""
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return [{"loc": ("body", *error["loc"]), "msg": error["msg"], "type": error["type"]} for error in exc.errors()]
    return []


def mistyped_fields(model: type[BaseModel], data: Any, location: tuple[str | int, ...]) -> list[InputError]:
    """The fields of parsed JSON `data`, down through nested models, whose JSON type is not the declared one."""
    if isinstance(data, list):
        return [error for i, item in enumerate(data) for error in mistyped_fields(model, item, (*location, i))]
    if not isinstance(data, dict):
        return []
    errors = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        if key not in data:
            continue
        kind, nested = declared_kind(field.annotation), model_of(field)
        if kind is not None and not _json_value_fits(kind, data[key]):
            errors.append(_mistyped((*location, key), kind))
        elif kind is int and isinstance(data[key], int) and abs(data[key]) > MAX_STORED_INT:
            # The contract's 32-bit integers, on SQLite too (which would store more; PostgreSQL would fail).
            errors.append(
                {"loc": (*location, key), "msg": f"Input should be within ±{MAX_STORED_INT}", "type": "wire_range"}
            )
        elif nested is not None:
            errors += mistyped_fields(nested, data[key], (*location, key))
    return errors
