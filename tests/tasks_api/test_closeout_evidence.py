"""Evidence of a close-out request (办结销号佐证材料): the lead unit that asked attaches files while the request is
pending, the office reads them to decide, another unit sees nothing, and a decided request's files stay on record."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from services.tasks_api.app import create_app
from services.tasks_api.models import metadata
from tests import evidence_files as files
from tests.conftest import tasks_settings
from tests.databases import empty_tables
from tests.tasks_api.test_closeout import TREE_PLAN, ask, decide, lead_of


@pytest.fixture
def client(tasks_database, tmp_path):
    empty_tables(tasks_database, metadata)
    settings = tasks_settings(tasks_database).model_copy(update={"evidence_dir": str(tmp_path / "evidence")})
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def plan(client, auth):
    imported = client.post("/v1/plans/import", json=TREE_PLAN, headers=auth("office"))
    assert imported.status_code == 200, imported.text
    rows = client.get(f"/v1/plans/{imported.json()['plan_id']}/items", headers=auth("office")).json()["data"]
    units = {u["name"]: u["id"] for u in client.get("/v1/units", headers=auth("office")).json()["data"]}
    return {"items": {r["key"]: r["id"] for r in rows}, "units": units}


@pytest.fixture
def request_of_t3(client, auth, plan):
    asked = ask(client, lead_of(plan, auth, "T3"), plan["items"]["T3"])
    assert asked.status_code == 201, asked.text
    return asked.json()


def attach(client, closeout_id, headers, data=files.PDF, filename="竣工验收报告.pdf"):
    return client.post(
        f"/v1/closeouts/{closeout_id}/evidence", params={"filename": filename}, content=data, headers=headers
    )


def test_the_lead_unit_attaches_evidence_the_office_reads_and_downloads_it(client, auth, plan, request_of_t3):
    lead = lead_of(plan, auth, "T3")
    data = files.docx()
    attached = attach(client, request_of_t3["id"], lead, data, "验收意见.docx")
    assert attached.status_code == 201, attached.text
    evidence = attached.json()
    assert evidence["media_type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert (evidence["owner_kind"], evidence["unit_id"]) == ("closeout", plan["units"]["市水利局"])
    listed = client.get(f"/v1/closeouts/{request_of_t3['id']}/evidence", headers=auth("office")).json()["data"]
    assert [e["sha256"] for e in listed] == [hashlib.sha256(data).hexdigest()]
    download = client.get(f"/v1/evidence/{evidence['id']}/content", headers=auth("office"))
    assert (download.status_code, download.content) == (200, data)


def test_another_unit_sees_nothing_and_only_the_unit_that_asked_attaches(client, auth, plan, request_of_t3):
    evidence = attach(client, request_of_t3["id"], lead_of(plan, auth, "T3")).json()
    other = auth("unit", unit_id=plan["units"]["市交通运输局"])
    for path in (f"/v1/evidence/{evidence['id']}", f"/v1/closeouts/{request_of_t3['id']}/evidence"):
        assert client.get(path, headers=other).status_code == 404
    assert attach(client, request_of_t3["id"], other).status_code == 404
    for role in ("office", "viewer", "service"):
        assert attach(client, request_of_t3["id"], auth(role)).status_code == 403, role
    refused = client.delete(f"/v1/evidence/{evidence['id']}", headers={**other, "If-Match": '"1"'})
    assert refused.status_code == 404


def test_a_decided_request_s_evidence_stays_on_record(client, auth, plan, request_of_t3):
    lead = lead_of(plan, auth, "T3")
    evidence = attach(client, request_of_t3["id"], lead).json()
    assert decide(client, auth, request_of_t3, False, reason="材料不全").status_code == 200
    assert attach(client, request_of_t3["id"], lead, files.PNG, "补充.png").status_code == 409
    assert client.delete(f"/v1/evidence/{evidence['id']}", headers={**lead, "If-Match": '"1"'}).status_code == 409
    assert client.get(f"/v1/evidence/{evidence['id']}", headers=lead).json()["frozen"] is True


def test_a_pending_request_s_file_is_deleted_by_its_unit(client, auth, plan, request_of_t3):
    lead = lead_of(plan, auth, "T3")
    evidence = attach(client, request_of_t3["id"], lead).json()
    assert evidence["frozen"] is False
    assert client.delete(f"/v1/evidence/{evidence['id']}", headers={**lead, "If-Match": '"1"'}).status_code == 204
    assert client.get(f"/v1/closeouts/{request_of_t3['id']}/evidence", headers=lead).json()["data"] == []
