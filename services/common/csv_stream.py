"""CSV downloads as a byte stream (the ledger, the audit): UTF-8 with a BOM, RFC 4180, safe to open in a spreadsheet.

The rows come as an async iterable of batches, so the database is read while the file is sent, never held whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterable, AsyncIterator, Sequence

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
UTF8_BOM = "\ufeff"  # without it Excel reads a Chinese CSV as the local code page and shows mojibake
# A text cell starting with one of these is a formula to a spreadsheet (CSV injection, CWE-1236).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float | None
Row = Sequence[Cell]


def csv_safe(value: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula, with an apostrophe before it; any other cell as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


async def csv_stream(headers: Sequence[str], batches: AsyncIterable[Sequence[Row]]) -> AsyncIterator[bytes]:
    """UTF-8 CSV with a BOM, RFC 4180 (CRLF line ends, fields quoted when they need it), a chunk per batch; text a
    spreadsheet would run as a formula is prefixed with an apostrophe."""
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
