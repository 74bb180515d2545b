"""The evidence routes, the same for every owner and service: a service names its owners and mounts them.

Not `from __future__ import annotations`: the endpoints are made here, per owner, and FastAPI reads their
parameters' annotations (closures over the owner's path parameter and the service's dependency) as objects.
"""

import re
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse

from services.common.documents import MAX_DISPOSITION, attachment
from services.common.etag import IfMatch, expected_version
from services.common.evidence.service import EvidenceAccess
from services.common.evidence.sniff import EXTENSIONS, MEDIA_TYPES
from services.common.evidence.storage import BlobStore
from services.common.evidence.table import EvidencePublic, EvidenceRow
from services.common.idempotency import MAX_KEY_LENGTH
from services.common.json import JsonObject
from services.common.pagination import Cursor, Limit, Page, decode_id_cursor, page_of
from services.common.problems import BadRequest, PayloadTooLarge, Unprocessable, problem_responses
from services.common.routing import GUARDED_WRITE_ERRORS, READ_ERRORS
from services.common.streaming import streamed_body

AccessDependency = Callable[..., Awaitable[EvidenceAccess]]
MAX_NAME = 255
_DISPOSITION_STAR = re.compile(r"filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)")
_DISPOSITION = re.compile(r'filename\s*=\s*"?([^";]+)"?')
Filename = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_NAME,
        description="The file's name (文件名); else the filename of a Content-Disposition header.",
    ),
]
_BINARY: JsonObject = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY: JsonObject = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes, as they are (any Content-Type: the type is read from the content). "
        "PDF, PNG, JPEG, GIF, WebP, Word (.docx, .doc) or Excel (.xlsx, .xls); others are 415, an empty file 422, "
        "one over the size limit (EVIDENCE_MAX_BYTES, 50 MiB by default) 413.",
        "content": {"application/octet-stream": _BINARY},
    }
}
_RECORD: JsonObject = {"application/json": {"schema": {"$ref": "#/components/schemas/EvidencePublic"}}}
UPLOAD_ERRORS: dict[int | str, JsonObject] = {
    **problem_responses(404, 409, 413, 415, 503),
    200: {"description": "The record of the same upload, replayed (Idempotency-Key)", "content": _RECORD},
}
DOWNLOAD: dict[int | str, JsonObject] = {
    **problem_responses(404, 503),
    200: {
        "description": "The file's bytes, of the type read from them when it was stored; ETag is its SHA-256.",
        "content": {media_type: _BINARY for media_type in MEDIA_TYPES},
        "headers": {
            "ETag": {"$ref": "#/components/headers/ETag"},
            "Content-Disposition": {
                "description": "attachment, with the file's name (RFC 6266: an ASCII filename and the real filename*).",
                "schema": {"type": "string", "maxLength": MAX_DISPOSITION},
            },
        },
    },
}


async def evidence_store(request: Request) -> BlobStore:
    """The store the app opened at start-up (services/common/evidence/storage.py)."""
    store: BlobStore = request.app.state.evidence_store
    return store


EvidenceStoreDep = Annotated[BlobStore, Depends(evidence_store)]


def public(row: EvidenceRow, frozen: bool) -> EvidencePublic:
    return EvidencePublic.model_validate({**row, "frozen": frozen})


def upload_name(given: str | None, disposition: str | None) -> str:
    """The file's name: the query's, else the Content-Disposition's; its folders, control and format characters
    (a right-to-left override hiding the real extension) taken out. 422 when none is left."""
    name = given
    if name is None and disposition:
        starred, plain = _DISPOSITION_STAR.search(disposition), _DISPOSITION.search(disposition)
        name = unquote(starred.group(1)) if starred else plain.group(1) if plain else None
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs")).strip()
    if not name or len(name) > MAX_NAME:
        raise Unprocessable(f"The file needs a name of 1 to {MAX_NAME} characters.", at=("query", "filename"))
    return name


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise BadRequest(f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.")
    return key


def _refuse_declared_length(request: Request, limit: int) -> None:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"The file is larger than {limit} bytes.")


async def upload(
    request: Request, response: Response, access: EvidenceAccess, *, kind: str, owner_id: int, filename: str | None
) -> EvidencePublic:
    """Stream the request's body into the owner's evidence; 201 with its record (200 when a retry replays it)."""
    owner = await access.owner(kind, owner_id, write=True)  # who may write, before what they sent
    name = upload_name(filename, request.headers.get("content-disposition"))
    key = _idempotency_key(request)
    _refuse_declared_length(request, access.evidence.max_bytes)
    row, replayed = await access.evidence.upload(
        owner, request.stream(), filename=name, actor=access.principal.subject, idempotency_key=key
    )
    response.status_code = 200 if replayed else 201
    response.headers["Location"] = f"/v1/evidence/{row['id']}"
    response.headers["ETag"] = f'"{row["version"]}"'
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return public(row, owner.frozen(row))


async def listing(
    request: Request,
    response: Response,
    access: EvidenceAccess,
    *,
    kind: str,
    owner_id: int,
    limit: int,
    cursor: str | None,
) -> Page[EvidencePublic]:
    """A page of the owner's files, oldest first, each saying whether it is frozen."""
    owner = await access.owner(kind, owner_id, write=False)
    rows = await access.evidence.page(owner, after_id=decode_id_cursor(cursor), limit=limit)
    answered = [{**row, "frozen": owner.frozen(row)} for row in rows]
    return page_of(Page[EvidencePublic], answered, limit, request, response)


def owner_words(kind: str) -> str:
    """The kind of owner in words, with its article, for the contract's summaries: instruction_reply is "an
    instruction reply"."""
    words = kind.replace("_", " ")
    return f"{'an' if words[:1] in ('a', 'e', 'i', 'o', 'u') else 'a'} {words}"


def owner_routes(router: APIRouter, access: AccessDependency, *, kind: str, parameter: str, path: str) -> None:
    """POST (upload) and GET (list) the evidence of one kind of owner at `path`, whose id is `parameter`."""
    Access = Annotated[EvidenceAccess, Depends(access)]
    named = owner_words(kind)
    OwnerId = Annotated[int, Path(alias=parameter, description=f"The {kind.replace('_', ' ')}'s id.")]

    async def upload_evidence(
        owner_id: OwnerId, request: Request, response: Response, evidence: Access, filename: Filename = None
    ) -> EvidencePublic:
        return await upload(request, response, evidence, kind=kind, owner_id=owner_id, filename=filename)

    async def list_evidence(
        owner_id: OwnerId,
        request: Request,
        response: Response,
        evidence: Access,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> Page[EvidencePublic]:
        return await listing(request, response, evidence, kind=kind, owner_id=owner_id, limit=limit, cursor=cursor)

    summary = f"Attach a file to {named} as evidence (上传佐证材料), streamed"
    router.add_api_route(
        path,
        streamed_body(upload_evidence),
        methods=["POST"],
        name=f"upload_{kind}_evidence",
        summary=summary,
        status_code=201,
        responses=UPLOAD_ERRORS,
        openapi_extra=UPLOAD_BODY,
    )
    router.add_api_route(
        path,
        list_evidence,
        methods=["GET"],
        name=f"list_{kind}_evidence",
        summary=f"The evidence of {named}",
        responses=READ_ERRORS,
    )


def evidence_routes(router: APIRouter, access: AccessDependency) -> None:
    """Read, download and delete one file, whatever its owner: /evidence/{evidence_id}[/content]."""
    Access = Annotated[EvidenceAccess, Depends(access)]

    @router.get("/evidence/{evidence_id}", summary="Read a file's record (佐证材料)", responses=READ_ERRORS)
    async def get_evidence(evidence_id: int, response: Response, evidence: Access) -> EvidencePublic:
        row, owner = await evidence.of(evidence_id, write=False)
        response.headers["ETag"] = f'"{row["version"]}"'
        return public(row, owner.frozen(row))

    @router.get(
        "/evidence/{evidence_id}/content",
        summary="Download a file (下载佐证材料), streamed",
        response_class=Response,
        responses=DOWNLOAD,
    )
    async def download_evidence(evidence_id: int, evidence: Access) -> Response:
        row, _ = await evidence.of(evidence_id, write=False)
        chunks = await evidence.evidence.content(row)
        fallback = f"evidence-{row['id']}{EXTENSIONS.get(row['media_type'], '')}"
        headers = {
            "ETag": f'"{row["sha256"]}"',
            "Content-Disposition": attachment(fallback, row["filename"]),
            "Content-Length": str(row["size"]),
            "X-Content-Type-Options": "nosniff",
        }
        return StreamingResponse(chunks, media_type=row["media_type"], headers=headers)

    @router.delete(
        "/evidence/{evidence_id}",
        summary="Delete a file not yet part of a submission",
        status_code=204,
        responses=GUARDED_WRITE_ERRORS,
    )
    async def delete_evidence(evidence_id: int, evidence: Access, if_match: IfMatch = None) -> Response:
        version = expected_version(if_match)
        row, owner = await evidence.of(evidence_id, write=True)
        await evidence.evidence.remove(owner, row, version=version, actor=evidence.principal.subject)
        return Response(status_code=204)
