"""Request bodies read within a limit: the web app never holds more of a body than its
endpoint accepts, whatever the Content-Length says, or when there is none (chunked)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

MAX_BODY = 64 * 1024  # the POS and Twilio; more is 413
MAX_UPDATE = 1024 * 1024  # Telegram's updates


class BodyTooLarge(Exception):
    """A body over its endpoint's limit, answered by `too_large`."""


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused before a byte is read when its Content-Length passes `limit`, and
    as soon as the stream would pass it otherwise: at most `limit` bytes are ever kept."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def too_large(_: Request, __: Exception) -> JSONResponse:
    """413, closing the connection so the server reads none of the rest of the body."""
    return JSONResponse(
        {"detail": "body too large"}, status_code=413, headers={"Connection": "close"}
    )
