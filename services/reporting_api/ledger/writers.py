"""Spreadsheet writers that never hold a whole sheet: xlsx through a temporary file (ledger/xlsx.py), CSV as a byte
stream.

Both take the rows as an async iterable of batches, so the database is read while the file is written.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import quote

from anyio import to_thread

from services.reporting_api.ledger.xlsx import Cell, Row, XlsxSheet

__all__ = [
    "CSV_MEDIA_TYPE",
    "FORMULA_STARTS",
    "XLSX_MEDIA_TYPE",
    "Cell",
    "Row",
    "attachment",
    "csv_header",
    "csv_safe",
    "csv_stream",
    "write_xlsx",
]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
UTF8_BOM = "\ufeff"  # without it Excel reads a Chinese CSV as the local code page and shows mojibake
# A text cell starting with one of these is a formula to a spreadsheet (CSV injection, CWE-1236).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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


def csv_safe(value: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula, with an apostrophe before it; any other cell as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


async def csv_stream(headers: Sequence[str], batches: AsyncIterable[Sequence[Row]]) -> AsyncIterator[bytes]:
    """UTF-8 CSV with a BOM, RFC 4180 (CRLF line ends, fields quoted when they need it), a chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def drain() -> bytes:
        chunk = buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        return chunk

    yield csv_header(headers)
    async for batch in batches:
        writer.writerows([csv_safe(value) for value in row] for row in batch)
        yield drain()


def csv_header(headers: Sequence[str]) -> bytes:
    """The start of a CSV file: the byte order mark and the header row."""
    buffer = io.StringIO()
    buffer.write(UTF8_BOM)
    csv.writer(buffer, lineterminator="\r\n").writerow(headers)
    return buffer.getvalue().encode("utf-8")


def attachment(ascii_name: str, name: str) -> str:
    """A Content-Disposition for a download: an ASCII name for old clients, the real one per RFC 6266/8187."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
