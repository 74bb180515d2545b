"""Strong ETags from record versions, and the If-Match guard on PATCH and DELETE (RFC 9110, RFC 6585)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Response

from services.common.problems import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version being changed.")]


def expected_version(if_match: str | None) -> int:
    """The version the caller saw; 428 without If-Match, 412 when it cannot be a version of ours."""
    if if_match is None:
        raise PreconditionRequired("This change needs an If-Match header with the ETag you last read.")
    tag = if_match.strip()
    if tag.startswith("W/"):
        raise PreconditionFailed("Weak ETags cannot guard a change; send the strong ETag.")
    try:
        return int(tag.strip('"'))
    except ValueError as exc:
        raise PreconditionFailed(f"If-Match {if_match!r} does not match the current version.") from exc


def stale(current_version: int) -> PreconditionFailed:
    return PreconditionFailed(
        "The record changed since you read it; fetch it again and retry.", headers={"ETag": etag_for(current_version)}
    )
