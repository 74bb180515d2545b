"""Small real files of each accepted type, and some that are not, for the evidence tests."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from openpyxl import Workbook

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + b"%" * 4000 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x11" * 3000
GIF = b"GIF89a" + b"\x01" * 500
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x02" * 500
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 2000 + b"This program cannot be run"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1000


def docx() -> bytes:
    document = Document()
    document.add_paragraph("杭衢高铁建设进展佐证")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx() -> bytes:
    workbook = Workbook()
    workbook.active.append(["指标", "完成值"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zipped(members: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()
