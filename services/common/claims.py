"""The checks of a token's claims that PyJWT does not make, or makes on the wrong clock."""

from __future__ import annotations

import math
from collections.abc import Mapping

import jwt

from services.common import clock
from services.common.problems import Unauthorized
from services.common.settings import MAX_UNIT_ID

LATEST_NUMERIC_DATE = 7_258_118_400  # 2200-01-01T00:00:00Z, the end of the years the services accept


# PyJWT would judge exp and nbf on the system clock; we judge them on the one clock, which tests move.
LIFETIME_BY_US: jwt.types.Options = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}


def lifetime_checked(claims: Mapping[str, object]) -> float:
    """The token's expiry (its claims' types already checked), once it is not past and `nbf` not still ahead."""
    expires_at, not_before = _number(claims["exp"]), _number(claims.get("nbf", 0))
    now = clock.epoch_seconds()
    if now >= expires_at:
        raise Unauthorized("The token has expired.")
    if now < not_before:
        raise Unauthorized("The token is not valid yet (nbf).")
    return expires_at


def _number(value: object) -> float:
    """A claim _check_claim_types found to be a NumericDate, as a float."""
    if not isinstance(value, int | float):
        raise Unauthorized(f"Not a NumericDate: {value!r}.")
    return float(value)


def _is_numeric_date(value: object) -> bool:
    """RFC 7519 NumericDate: seconds since the epoch, a finite JSON number (not a boolean) in the supported years."""
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 <= value <= LATEST_NUMERIC_DATE
    )


MAX_SUBJECT_LENGTH = 255  # the change log's actor column, and OpenID Connect's bound on `sub`


def check_claim_types(claims: Mapping[str, object]) -> None:
    """Refuse claims of the wrong type that PyJWT lets through (a boolean is an int to Python)."""
    for name in ("exp", "nbf", "iat"):
        if name in claims and not _is_numeric_date(claims[name]):
            raise Unauthorized(f"The {name} claim is not a NumericDate: {claims[name]!r}.")
    unit_id = claims.get("unit_id")
    if unit_id is not None and (type(unit_id) is not int or not 1 <= unit_id <= MAX_UNIT_ID):
        raise Unauthorized(f"The unit_id claim is not a unit id: {unit_id!r}.")
    if not _is_subject(claims.get("sub")):
        raise Unauthorized(f"The sub claim is not a subject duban can record: {str(claims.get('sub'))[:80]!r}.")


def _is_subject(value: object) -> bool:
    """A subject is written as the actor of every change (255 characters, as OpenID Connect bounds it): printable
    text (no control character, as a NUL no PostgreSQL text holds; no lone surrogate, which no encoding writes)."""
    return isinstance(value, str) and 0 < len(value) <= MAX_SUBJECT_LENGTH and value.isprintable()
