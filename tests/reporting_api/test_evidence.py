"""Evidence of progress reports (佐证材料): streamed upload and download with SHA-256, the type read from the content,
the size limit, immutability once submitted, who may see and attach what, Idempotency-Key, history and the ledger."""

from __future__ import annotations

import csv
import hashlib
import io
import os

import pytest
from fastapi.testclient import TestClient

from services.common.history import history_of
from services.reporting_api.app import create_app
from services.reporting_api.db import change_log
from services.reporting_api.models import metadata
from tests import evidence_files as files
from tests.conftest import reporting_settings
from tests.databases import empty_tables
from tests.reporting_api.test_reports import file_report, review, submit

LEAD, CO, OTHER = "市交通运输局", "市文旅局", "市财政局"
LIMIT = 3 * 1024 * 1024  # above the services' 1 MiB body limit: evidence streams past it


@pytest.fixture
def client(reporting_database, tasks_server, tmp_path):
    empty_tables(reporting_database, metadata)
    settings = reporting_settings(reporting_database, tasks_server).model_copy(
        update={"evidence_dir": str(tmp_path / "evidence"), "evidence_max_bytes": LIMIT}
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def stored(tmp_path):
    """The files the store holds (none half-written)."""
    return lambda: sorted(p for p in (tmp_path / "evidence").rglob("*") if p.is_file())


@pytest.fixture
def units(quzhou, auth):
    return {name: auth("unit", unit_id=quzhou.unit_id(name)) for name in (LEAD, CO, OTHER)}


@pytest.fixture
def report(client, quzhou, units):
    return file_report(client, units[LEAD], quzhou.item("T9")["id"])


def upload(client, report_id, headers, data, filename="进展佐证.pdf", **extra):
    return client.post(
        f"/v1/reports/{report_id}/evidence", params={"filename": filename}, content=data, headers={**headers, **extra}
    )


def uploaded(client, report_id, headers, data, filename="进展佐证.pdf"):
    response = upload(client, report_id, headers, data, filename)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_file_larger_than_the_body_limit_streams_in_and_out_with_its_sha256(client, report, units, stored):
    data = files.PDF + os.urandom(2 * 1024 * 1024)
    evidence = uploaded(client, report["id"], units[LEAD], data)
    assert (evidence["media_type"], evidence["size"]) == ("application/pdf", len(data))
    assert evidence["sha256"] == hashlib.sha256(data).hexdigest()
    assert (evidence["owner_kind"], evidence["owner_id"], evidence["frozen"]) == ("report", report["id"], False)
    download = client.get(f"/v1/evidence/{evidence['id']}/content", headers=units[LEAD])
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["etag"] == f'"{evidence["sha256"]}"'
    assert download.headers["content-disposition"] == (
        f'attachment; filename="evidence-{evidence["id"]}.pdf"; '
        "filename*=UTF-8''%E8%BF%9B%E5%B1%95%E4%BD%90%E8%AF%81.pdf"
    )
    listed = client.get(f"/v1/reports/{report['id']}/evidence", headers=units[LEAD]).json()
    assert [e["id"] for e in listed["data"]] == [evidence["id"]]
    assert len(stored()) == 1


def test_the_type_is_read_from_the_content_not_the_name(client, report, units, stored):
    png = uploaded(client, report["id"], units[LEAD], files.PNG, filename="照片.pdf")
    assert (png["filename"], png["media_type"]) == ("照片.pdf", "image/png")
    workbook = uploaded(client, report["id"], units[LEAD], files.xlsx(), filename="指标.bin")
    assert workbook["media_type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    refused = upload(client, report["id"], units[LEAD], files.EXE, filename="进展.pdf")
    assert refused.status_code == 415, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert len(stored()) == 2


def test_a_file_over_the_limit_is_413_and_nothing_is_kept(client, report, units, stored):
    too_large = upload(client, report["id"], units[LEAD], files.PDF + b"0" * LIMIT)
    assert too_large.status_code == 413, too_large.text
    assert stored() == []
    assert client.get(f"/v1/reports/{report['id']}/evidence", headers=units[LEAD]).json()["data"] == []


def test_a_name_comes_from_content_disposition_and_loses_its_folders_and_hidden_characters(client, report, units):
    disposition = "attachment; filename*=UTF-8''..%2F..%2F%E8%A1%A8%E6%A0%BC%E2%80%AEfdp.exe"
    response = client.post(
        f"/v1/reports/{report['id']}/evidence",
        content=files.PDF,
        headers={**units[LEAD], "Content-Disposition": disposition},
    )
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == "表格fdp.exe"
    nameless = client.post(f"/v1/reports/{report['id']}/evidence", content=files.PDF, headers=units[LEAD])
    assert nameless.status_code == 422


def test_evidence_is_frozen_once_the_report_is_submitted(client, report, units, auth, stored):
    first = uploaded(client, report["id"], units[LEAD], files.PDF)
    submit(client, units[LEAD], report["id"])
    assert upload(client, report["id"], units[LEAD], files.PNG).status_code == 409
    gone = client.delete(f"/v1/evidence/{first['id']}", headers={**units[LEAD], "If-Match": '"1"'})
    assert gone.status_code == 409
    assert client.get(f"/v1/evidence/{first['id']}", headers=units[LEAD]).json()["frozen"] is True
    assert review(client, auth, report["id"], "return", "补充佐证材料").status_code == 200
    second = uploaded(client, report["id"], units[LEAD], files.PNG, filename="补充.png")
    assert second["frozen"] is False
    assert client.delete(f"/v1/evidence/{first['id']}", headers={**units[LEAD], "If-Match": '"1"'}).status_code == 409
    deleted = client.delete(f"/v1/evidence/{second['id']}", headers={**units[LEAD], "If-Match": '"1"'})
    assert deleted.status_code == 204, deleted.text
    assert len(stored()) == 1


def test_a_draft_s_file_is_deleted_with_if_match_and_its_history_kept(client, report, units, stored):
    evidence = uploaded(client, report["id"], units[LEAD], files.JPEG, filename="现场.jpg")
    url = f"/v1/evidence/{evidence['id']}"
    assert client.delete(url, headers=units[LEAD]).status_code == 428
    assert client.delete(url, headers={**units[LEAD], "If-Match": '"2"'}).status_code == 412
    assert client.delete(url, headers={**units[LEAD], "If-Match": '"1"'}).status_code == 204
    assert client.get(url, headers=units[LEAD]).status_code == 404
    assert stored() == []

    async def read():
        async with client.app.state.database.read() as conn:
            return await history_of(
                conn, change_log, entity="evidence", entity_id=evidence["id"], after_id=None, limit=9
            )

    assert [change["action"] for change in client.portal.call(read)] == ["create", "delete"]


def test_only_those_who_may_see_the_report_see_its_evidence(client, report, units, auth):
    evidence = uploaded(client, report["id"], units[LEAD], files.PDF)
    paths = [f"/v1/evidence/{evidence['id']}", f"/v1/evidence/{evidence['id']}/content"]
    paths.append(f"/v1/reports/{report['id']}/evidence")
    for path in paths:
        assert client.get(path, headers=units[OTHER]).status_code == 404, path
        assert client.get(path, headers=auth("office")).status_code == 200, path
        assert client.get(path, headers=auth("viewer")).status_code == 200, path


def test_only_the_report_s_unit_and_the_office_attach_and_delete(client, report, units, auth, stored):
    evidence = uploaded(client, report["id"], units[LEAD], files.PDF)
    assert upload(client, report["id"], units[OTHER], files.PDF).status_code == 404
    assert upload(client, report["id"], auth("viewer"), files.PDF).status_code == 403
    assert upload(client, report["id"], auth("service"), files.PDF).status_code == 403
    assert upload(client, report["id"], auth("office"), files.PDF).status_code == 201
    for headers in (units[OTHER], auth("viewer")):
        refused = client.delete(f"/v1/evidence/{evidence['id']}", headers={**headers, "If-Match": '"1"'})
        assert refused.status_code in (403, 404)
    assert len(stored()) == 2


def test_a_retry_with_the_same_idempotency_key_replays_and_another_file_is_422(client, report, units, stored):
    first = upload(client, report["id"], units[LEAD], files.PDF, **{"Idempotency-Key": "ev-1"})
    again = upload(client, report["id"], units[LEAD], files.PDF, **{"Idempotency-Key": "ev-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    other = upload(client, report["id"], units[LEAD], files.PNG, **{"Idempotency-Key": "ev-1"})
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert len(stored()) == 1


def test_the_ledger_lists_each_report_s_evidence(client, report, units, quzhou, auth):
    uploaded(client, report["id"], units[LEAD], files.PDF, filename="=通车证明.pdf")
    uploaded(client, report["id"], units[LEAD], files.PNG, filename="现场照片.png")
    response = client.get(
        f"/v1/plans/{quzhou.plan_id}/ledger.csv", params={"period": "2024-Q1"}, headers=auth("office")
    )
    assert response.status_code == 200, response.text
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "佐证材料"
    assert "'=通车证明.pdf；现场照片.png" in [row[-1] for row in rows[1:]]
