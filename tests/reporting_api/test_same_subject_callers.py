"""Callers are their whole identity (role, unit and subject), never the token's subject alone.

README, *The API in brief*: "creating POSTs honour `Idempotency-Key` (per caller, kept 24 h)"; Security: "a unit
sees and writes only its own"; Leader instructions: "Only the author attaches and deletes them ... anyone else 403"
and "a viewer reads but writes nothing". Here two callers differ in role or unit but carry the same `sub` (one person
whose SSO group or department changed, or two tokens minted with the same `--subject`).
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.common.auth import mint_token
from services.reporting_api.app import create_app
from services.reporting_api.models import metadata
from services.tasks_api.settings import TasksSettings
from tests.conftest import Quzhou, reporting_settings
from tests.databases import empty_tables

UNIT_A = "市交通运输局"  # leads task 9
PDF = b"%PDF-1.7\nprobe\n%%EOF\n"


def token(role: str, subject: str, unit_id: int | None = None) -> dict[str, str]:
    minted = mint_token(TasksSettings(environment="test"), role=role, unit_id=unit_id, subject=subject)
    return {"Authorization": f"Bearer {minted}"}


@pytest.fixture
def client(reporting_database, tasks_server):
    empty_tables(reporting_database, metadata)
    with TestClient(
        create_app(reporting_settings(reporting_database, tasks_server)), raise_server_exceptions=False
    ) as c:
        yield c


@pytest.fixture
def cast(quzhou_client, auth):
    quzhou = Quzhou(quzhou_client, auth("viewer"))
    t9 = quzhou.item("T9")["id"]
    a = quzhou.unit_id(UNIT_A)
    duties = quzhou_client.get(f"/v1/items/{t9}/responsibilities", headers=auth("viewer")).json()["data"]
    units = quzhou_client.get("/v1/units", params={"limit": 500}, headers=auth("viewer")).json()["data"]
    b = next(u["id"] for u in units if u["id"] not in {r["unit_id"] for r in duties})
    return t9, a, b


def test_an_idempotency_key_replays_unit_as_report_to_unit_b_with_the_same_subject(client, cast):
    t9, a, b = cast
    body = {"item_id": t9, "period": "2024-Q1", "progress": "甲单位机密进展"}
    key = {"Idempotency-Key": "shared-key-1"}
    first = client.post("/v1/reports", json=body, headers={**token("unit", "zhang.san", a), **key})
    assert first.status_code == 201, first.text
    # Unit B (no duty on task 9) without the key: refused, as it should be.
    plain = client.post("/v1/reports", json=body, headers=token("unit", "zhang.san", b))
    assert plain.status_code == 403, plain.text
    # The same request with A's key: unit B must be refused too, not handed A's report.
    replay = client.post("/v1/reports", json=body, headers={**token("unit", "zhang.san", b), **key})
    assert replay.status_code in (403, 404, 409, 422), (replay.status_code, replay.headers.get("Idempotent-Replayed"))
    assert "甲单位机密进展" not in replay.text


def test_a_viewer_with_the_office_authors_subject_cannot_attach_evidence_to_an_instruction(client, cast):
    t9, _, _ = cast
    issued = client.post(
        "/v1/instructions",
        json={"item_id": t9, "text": "请加快推进", "author_name": "张三"},
        headers=token("office", "li.si"),
    )
    assert issued.status_code == 201, issued.text
    viewer = token("viewer", "li.si")  # the same person, now a leader's read-only login
    upload = client.post(
        f"/v1/instructions/{issued.json()['id']}/evidence",
        params={"filename": "批示件.pdf"},
        content=PDF,
        headers=viewer,
    )
    assert upload.status_code == 403, upload.text


def test_a_long_subject_keeps_its_idempotency_key_apart_from_one_cut_alike(client, cast):
    t9, a, _ = cast
    stem = "u" * 247  # a subject the reports keep (255), which with its role and unit is past the key table's 255
    key = {"Idempotency-Key": "long-subject-key"}
    body = {"item_id": t9, "period": "2024-Q1", "progress": "初稿"}
    first = client.post("/v1/reports", json=body, headers={**token("unit", stem + "1", a), **key})
    assert first.status_code == 201, first.text
    again = client.post("/v1/reports", json=body, headers={**token("unit", stem + "1", a), **key})
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = client.post("/v1/reports", json=body, headers={**token("unit", stem + "2", a), **key})
    assert other.status_code == 409, other.text  # a new request of its own: the unit's report exists already
    assert other.headers.get("Idempotent-Replayed") is None
