"""The health check a platform's router polls: the process answers, and so does its database."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bot.web.state import App

log = logging.getLogger("concierge.web")
router = APIRouter()


@router.get("/healthz", summary="Answers 200 when the database does")
async def healthz(app: App) -> JSONResponse:
    try:
        await app.db.ping()
    except Exception:  # any failure to reach the database is "unhealthy"
        log.exception("health check: database unreachable")
        return JSONResponse({"detail": "database unreachable"}, status_code=503)
    return JSONResponse({"status": "ok"})
