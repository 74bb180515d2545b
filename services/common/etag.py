"""Strong ETags from record versions, and the If-Match guard on PATCH and DELETE (RFC 9110, RFC 6585); strong ETags
from an answer's bytes, and the 304 a GET answers when If-None-Match names them (conditional reads of the services)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Annotated

from fastapi import Header, Response

from services.common.json import JsonObject
from services.common.problems import PreconditionFailed, PreconditionRequired


def etag_for(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag_for(version)


IfMatch = Annotated[str | None, Header(alias="If-Match", description="The ETag of the version being changed.")]


def seen_version(if_match: str | None) -> int | None:
    """The version the caller saw, when it sent one: a step that takes If-Match when sent (412 when stale)."""
    return None if if_match is None else expected_version(if_match)


def expected_version(if_match: str | None) -> int:
    """The version the caller saw; 428 without If-Match, 412 when it cannot be a version of ours."""
    if if_match is None:
        raise PreconditionRequired("This change needs an If-Match header with the ETag you last read.")
    tag = if_match.strip()
    if tag.startswith("W/"):
        raise PreconditionFailed("Weak ETags cannot guard a change; send the strong ETag.")
    found = _VERSION_TAG.fullmatch(tag)
    if found is None:
        raise PreconditionFailed(f"If-Match {if_match!r} does not match the current version.")
    return int(found[1] or found[2])


# A version's ETag as etag_for writes it, quoted or not. Strong comparison is character by character (RFC 9110
# 8.8.3.2): "01", "+1", "1_0" or a digit of another script is not the ETag "1", though int() reads each as a number
# (until 2026-12-07 each was taken for it, and a PUT with If-Match "000…0" created a record as if it said "0").
_VERSION_TAG = re.compile(r'"(0|[1-9][0-9]{0,17})"|(0|[1-9][0-9]{0,17})', re.ASCII)


def stale(current_version: int) -> PreconditionFailed:
    return PreconditionFailed(
        "The record changed since you read it; fetch it again and retry.", headers={"ETag": etag_for(current_version)}
    )


IfNoneMatch = Annotated[
    str | None, Header(alias="If-None-Match", max_length=200, description="The ETag of the answer last read.")
]
NOT_MODIFIED: dict[int | str, JsonObject] = {
    304: {"description": "Not modified: the If-None-Match ETag is the answer's."}
}


def digest_tag(body: bytes | memoryview) -> str:
    """A strong ETag of an answer's bytes: equal tags, equal answers, whatever the tables behind them."""
    return f'"{hashlib.blake2b(body, digest_size=16).hexdigest()}"'


def conditional_json(
    body: bytes | memoryview, if_none_match: str | None, headers: Mapping[str, str] | None = None
) -> Response:
    """The JSON `body` with its digest ETag, or 304 without it when If-None-Match names that tag (RFC 9110 13.1.2:
    weak comparison, a list of tags, or *). The other headers (a Link to the next page) go with either."""
    tag = digest_tag(body)
    headers = {**(headers or {}), "ETag": tag}
    if if_none_match is not None and _names(if_none_match, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _names(if_none_match: str, tag: str) -> bool:
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or tag in tags
