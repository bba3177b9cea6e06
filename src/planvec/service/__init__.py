"""The HTTP service: ``planvec serve`` (FastAPI on uvicorn). See :func:`planvec.service.app.create_app`."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
