"""The xlsx writer that never holds a whole sheet: through a temporary file (ledger/xlsx.py), from an async iterable
of batches, so the database is read while the file is written. CSV is services/common/csv_stream.py (or COPY on
PostgreSQL, ledger/sql.py)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterable, Sequence
from pathlib import Path

from anyio import to_thread

from services.reporting_api.ledger.xlsx import Cell, Row, XlsxSheet

__all__ = ["XLSX_MEDIA_TYPE", "Cell", "Row", "write_xlsx"]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def write_xlsx(
    headers: Sequence[str], batches: AsyncIterable[Sequence[Row]], *, title: str, widths: Sequence[int] = ()
) -> Path:
    """A temporary xlsx file holding the rows; the caller deletes it. Nothing is left behind on failure.

    The writing runs in a worker thread, batch by batch, so the event loop keeps serving other requests, and
    the next batch is read (database, peers) while the thread writes the last one.
    """
    handle, name = tempfile.mkstemp(prefix="duban-ledger-", suffix=".xlsx")
    os.close(handle)
    path = Path(name)
    try:
        sheet = await to_thread.run_sync(lambda: XlsxSheet(path, headers, title=title, widths=widths))
        writing: asyncio.Future[None] | None = None
        try:
            async for batch in batches:
                if writing is not None:
                    await writing  # one batch at a time reaches the sheet, in order
                writing = asyncio.ensure_future(to_thread.run_sync(sheet.write, batch))
        finally:
            if writing is not None:
                await writing
            await to_thread.run_sync(sheet.close)
    except BaseException:
        # Synchronously, on purpose: this also runs on cancellation, where an await could be cancelled in turn and
        # leave the half-written file behind; removing it is one metadata call.
        path.unlink(missing_ok=True)  # noqa: ASYNC240
        raise
    return path
