"""A file name the evidence upload takes (1 to 255 characters) downloads within the contract's Content-Disposition
maxLength (2048): an emoji is 12 characters percent-encoded, so until 2026-12-07 a 255-emoji name sent over 3,000.
The name is shortened as it is sent, keeping its extension; the record keeps it whole."""

from __future__ import annotations

from urllib.parse import unquote

from tests.databases import BACKEND  # noqa: F401 - runs on PostgreSQL too (tests/conftest.py)
from tests.hostile.conftest import EVIDENCE_BYTES
from tests.hostile.contract import contract

DOWNLOAD = contract("reporting_api")["paths"]["/v1/evidence/{evidence_id}/content"]["get"]["responses"]["200"]
LONG_NAME = "😀" * 251 + ".pdf"


def test_the_download_of_the_longest_name_the_upload_takes_keeps_the_documented_length_and_its_extension(world, auth):
    w = world("reporting_api")
    unit_a = auth("unit", unit_id=w.unit_a)
    uploaded = w.client.post(
        f"/v1/reports/{w.ids['report_id']}/evidence",
        params={"filename": LONG_NAME},
        content=EVIDENCE_BYTES,
        headers=unit_a,
    )
    assert uploaded.status_code == 201, uploaded.text
    evidence = uploaded.json()["id"]
    try:
        download = w.client.get(f"/v1/evidence/{evidence}/content", headers=unit_a)
        assert download.status_code == 200, download.text
        disposition = download.headers["content-disposition"]
        assert len(disposition) <= DOWNLOAD["headers"]["Content-Disposition"]["schema"]["maxLength"]
        sent = unquote(disposition.split("filename*=UTF-8''")[1])
        assert sent.endswith("😀….pdf") and LONG_NAME.startswith(sent[:-5]), sent
        assert w.client.get(f"/v1/evidence/{evidence}", headers=unit_a).json()["filename"] == LONG_NAME
    finally:
        w.client.delete(f"/v1/evidence/{evidence}", headers={**unit_a, "If-Match": '"1"'})
