"""``PUT`` / ``DELETE /api/v1/documents/{path}``: one Markdown file under the documents root, indexed
incrementally (only that file's changed tasks are embedded)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ...errors import ParseError
from ...globs import selects
from ...kinds.plans import parse_file
from ...parsing.files import SourceFile
from ...records import FileProblem
from ..auth import Principal, require
from ..errors import ApiError, request_id
from ..guard import DOCUMENT_TEXT_TYPES, DOCUMENT_TYPES, media_type
from ..paths import markdown_relpath, resolve_inside
from ..state import Service, get_service
from .jobs import JOB_RESPONSES, JobReply, job_reply

router = APIRouter(prefix="/api/v1", tags=["documents"])

WaitQuery = Annotated[float | None, Query(ge=0, le=600, description="Seconds to wait before 202.")]


class DocumentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(description="The Markdown text of the file.")


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": DocumentBody.model_json_schema()},
            **{t: {"schema": {"type": "string"}} for t in DOCUMENT_TEXT_TYPES},
        },
    }
}


def _root(svc: Service) -> Path:
    if svc.settings.documents_root is None:
        raise ApiError(
            400, "not_configured", "no documents root is configured", hint="set PLANVEC_DOCUMENTS_ROOT"
        )
    return Path(svc.settings.documents_root).expanduser()


async def _content(request: Request, limit: int) -> str:
    ctype = media_type(request.headers.get("content-type", ""))
    raw = await request.body()
    if ctype in DOCUMENT_TEXT_TYPES:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "invalid_encoding", "the document is not valid UTF-8") from None
    elif ctype in ("application/json", ""):  # ("": no body at all, which RequestGuard lets through)
        try:
            text = DocumentBody.model_validate_json(raw or b"{}").content
        except ValidationError as e:
            details = [
                {"field": ".".join(str(x) for x in ("body", *err["loc"])), "reason": err["msg"]}
                for err in e.errors()
            ]
            raise ApiError(
                422, "validation_error", 'invalid request: body must be {"content": "..."}', details=details
            ) from None
    else:
        raise ApiError(415, "unsupported_media_type", f"send Content-Type: {' or '.join(DOCUMENT_TYPES)}")
    if len(text.encode("utf-8")) > limit:
        raise ApiError(413, "payload_too_large", f"the document is over the {limit}-byte file limit")
    return text


def _indexed_rel(svc: Service, path: str) -> str:
    """``path`` as the index sees it under the documents root; 400 when the configured include/exclude
    globs leave it out (it would be written but never indexed)."""
    rel = PurePosixPath(path.replace("\\", "/")).as_posix()
    s = svc.settings
    if not selects(rel, s.include, s.exclude):
        raise ApiError(
            400,
            "path_not_indexed",
            f"{path!r} is not indexed: the server's include/exclude globs leave it out",
            hint=f"use a path that PLANVEC_INCLUDE ({', '.join(s.include)}) selects and "
            "PLANVEC_EXCLUDE does not",
        )
    return rel


def _write_atomic(path: Path, text: str, check: Callable[[Path], None] | None = None) -> None:
    """Write through a temporary file; ``check`` may refuse it (raise) before it replaces ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".upload.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if check is not None:
            check(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@router.put(
    "/documents/{path:path}",
    response_model=JobReply,
    responses=JOB_RESPONSES,
    openapi_extra=_BODY_DOC,
    summary="Upload (create or replace) one Markdown file",
)
async def put_document(
    request: Request,
    path: str,
    principal: Annotated[Principal, Depends(require("write", "documents.put"))],
    wait: WaitQuery = None,
) -> JSONResponse:
    """Write the file at `path` (relative, inside the documents root) and index it incrementally.
    Body: `{"content": "..."}` as `application/json`, or the raw Markdown (UTF-8) as `text/markdown`,
    `text/x-markdown`, `text/plain` or `application/octet-stream`; any other type is refused (415)."""
    svc = get_service(request)
    root = _root(svc)
    target = resolve_inside(root, markdown_relpath(path), what="path")
    rel = _indexed_rel(svc, path)
    text = await _content(request, svc.settings.max_file_bytes)
    if target.is_dir() or any(p.exists() and not p.is_dir() for p in target.parents):
        raise ApiError(409, "conflict", "a folder exists at this path, or a file where a folder should be")
    eng = svc.engine

    def parses(tmp: Path) -> None:
        problem = parse_file(SourceFile(root, tmp, rel), max_bytes=svc.settings.max_file_bytes)
        if isinstance(problem, FileProblem):
            raise ParseError(
                f"{path}: {problem.reason}", hint="the document was not written; fix its content"
            )

    def run(progress: Any) -> dict[str, Any]:
        _write_atomic(target, text, parses)
        report = eng.index([root], progress=progress).to_dict()
        return {"path": path, "bytes": len(text.encode("utf-8")), "report": report}

    job = svc.jobs.submit("documents.put", path, run, key_id=principal.key_id, request_id=request_id(request))
    return await job_reply(request, job, svc.settings.job_wait_seconds if wait is None else wait)


@router.delete(
    "/documents/{path:path}",
    response_model=JobReply,
    responses=JOB_RESPONSES,
    summary="Delete one Markdown file and its points",
)
async def delete_document(
    request: Request,
    path: str,
    principal: Annotated[Principal, Depends(require("write", "documents.delete"))],
    wait: WaitQuery = None,
) -> JSONResponse:
    """Remove the file at `path` from the documents root and its tasks from the index."""
    svc = get_service(request)
    root = _root(svc)
    target = resolve_inside(root, markdown_relpath(path), what="path")
    if not target.is_file():
        raise ApiError(404, "document_not_found", f"no document {path!r} under the documents root")
    eng = svc.engine

    def run(progress: Any) -> dict[str, Any]:
        target.unlink(missing_ok=True)
        report = eng.index([root], progress=progress).to_dict()
        return {"path": path, "report": report}

    job = svc.jobs.submit(
        "documents.delete", path, run, key_id=principal.key_id, request_id=request_id(request)
    )
    return await job_reply(request, job, svc.settings.job_wait_seconds if wait is None else wait)
