"""The search page at ``/`` (static files, no build step) and ``GET /api/v1/whoami``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import BaseModel

from ..auth import Principal, require

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["web"])


class WhoAmI(BaseModel):
    key_id: str
    scope: str
    open_mode: bool


@router.get("/", include_in_schema=False)
async def index_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html")


@router.get("/api/v1/whoami", response_model=WhoAmI, tags=["auth"], summary="The caller's key and scope")
async def whoami(principal: Annotated[Principal, Depends(require("read", "whoami"))]) -> dict[str, Any]:
    return {"key_id": principal.key_id, "scope": principal.scope, "open_mode": principal.open_mode}
