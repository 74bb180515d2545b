"""One bare asyncpg connection for the bench's own statements (creating and vacuuming its databases, setting rows
aside, the raw COPYs, counting what a figure left), closed however the block ends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg


@asynccontextmanager
async def connected(dsn: str, **options: Any) -> AsyncIterator[asyncpg.Connection]:
    """`async with connected(dsn) as conn`: asyncpg.connect's options, and the connection closed at the end."""
    conn = await asyncpg.connect(dsn, **options)
    try:
        yield conn
    finally:
        await conn.close()
