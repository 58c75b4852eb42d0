"""A plain asyncpg connection for a bench's own SQL: its scratch database made, read back
or dropped, outside the code under measure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url


@asynccontextmanager
async def connected(url: str, database: str | None = None) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the server `url` names: to its database, or to `database` (the
    server's `postgres`, to create or drop the bench's own); closed after."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    connection = await asyncpg.connect(
        host=parsed.host or "127.0.0.1", port=parsed.port or 5432,
        user=parsed.username or "postgres", password=parsed.password,
        database=database or parsed.database,
    )  # fmt: skip
    try:
        yield connection
    finally:
        await connection.close()
