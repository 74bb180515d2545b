"""GET /v1/audit and /v1/audit.csv (审计): every change of a service, filtered and paginated; the change log is a
hash chain that `duban audit verify` checks, naming the first row changed or deleted behind the API's back."""

from __future__ import annotations

import asyncio
import csv
import io
import threading

import pytest
from sqlalchemy import delete, update

from services.cli import main as duban
from services.common.audit_chain import ChainReport, verify_chain
from services.common.db import Database, make_engine
from services.tasks_api.db import change_log
from tests.problems import assert_problem


def create_unit(client, auth, name, role="office"):
    response = client.post("/v1/units", json={"name": name, "kind": "department"}, headers=auth(role))
    assert response.status_code == 201, response.text
    return response


def rename_unit(client, auth, unit_id, name):
    etag = client.get(f"/v1/units/{unit_id}", headers=auth("viewer")).headers["ETag"]
    response = client.patch(f"/v1/units/{unit_id}", json={"name": name}, headers=auth("office", **{"If-Match": etag}))
    assert response.status_code == 200, response.text


def audit(client, auth, **params):
    response = client.get("/v1/audit", params=params, headers=auth("office"))
    assert response.status_code == 200, response.text
    return response.json()


def chain_of(url: str) -> ChainReport:
    async def run() -> ChainReport:
        database = Database(make_engine(url))
        try:
            async with database.read() as conn:
                return await verify_chain(conn, change_log)
        finally:
            await database.dispose()

    return asyncio.run(run())


def tamper(url: str, statement) -> None:
    async def run() -> None:
        database = Database(make_engine(url))
        try:
            async with database.engine.begin() as conn:
                await conn.execute(statement)
        finally:
            await database.dispose()

    asyncio.run(run())


@pytest.fixture
def changes(tasks_client, auth):
    """Three units created by the office, one renamed by an admin: four changes."""
    ids = [create_unit(tasks_client, auth, name).json()["id"] for name in ("市审计局", "市统计局", "市档案馆")]
    etag = tasks_client.get(f"/v1/units/{ids[0]}", headers=auth("viewer")).headers["ETag"]
    renamed = tasks_client.patch(
        f"/v1/units/{ids[0]}", json={"name": "市审计局（新）"}, headers=auth("admin", **{"If-Match": etag})
    )
    assert renamed.status_code == 200, renamed.text
    return ids


def test_the_audit_lists_every_change_oldest_first_with_its_place_in_the_chain(tasks_client, auth, changes):
    rows = audit(tasks_client, auth)["data"]
    assert [(row["entity"], row["entity_id"], row["action"]) for row in rows] == [
        *[("unit", unit_id, "create") for unit_id in changes],
        ("unit", changes[0], "update"),
    ]
    assert [row["chain_seq"] for row in rows] == [1, 2, 3, 4]
    assert all(len(row["hash"]) == 64 for row in rows)


def test_the_audit_filters_by_actor_operation_and_kind_of_record(tasks_client, auth, changes):
    by_admin = audit(tasks_client, auth, actor="test-admin-0")["data"]
    assert [(row["action"], row["changes"]["name"]) for row in by_admin] == [("update", ["市审计局", "市审计局（新）"])]
    assert len(audit(tasks_client, auth, action="create", entity="unit")["data"]) == 3
    assert audit(tasks_client, auth, entity="plan")["data"] == []


def test_the_audit_filters_by_a_time_range(tasks_client, auth, changes):
    rows = audit(tasks_client, auth)["data"]
    since = audit(tasks_client, auth, since=rows[-1]["at"])["data"]
    until = audit(tasks_client, auth, until=rows[-1]["at"])["data"]
    assert rows[-1] in since and rows[-1] not in until and len(since) + len(until) == len(rows)


def test_the_audit_pages_with_a_cursor(tasks_client, auth, changes):
    first = audit(tasks_client, auth, limit=3)
    second = audit(tasks_client, auth, limit=3, cursor=first["next_cursor"])
    assert [len(first["data"]), len(second["data"]), second["next_cursor"]] == [3, 1, None]


def test_a_time_without_an_offset_is_refused(tasks_client, auth):
    assert_problem(tasks_client.get("/v1/audit", params={"since": "2026-01-01T00:00:00"}, headers=auth("office")), 422)


@pytest.mark.parametrize("since", ["1.2474026858991073e-45", "1767225600", "tomorrow"])
def test_a_time_that_is_not_written_out_is_refused(tasks_client, auth, since):
    """Not read as seconds since 1970: the audit.csv of a number would otherwise be every change since then."""
    assert_problem(tasks_client.get("/v1/audit.csv", params={"since": since}, headers=auth("office")), 422)


def test_the_audit_downloads_as_csv_with_the_same_filters(tasks_client, auth, changes):
    response = tasks_client.get("/v1/audit.csv", params={"action": "create"}, headers=auth("office"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    header, *rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == ["id", "at", "actor", "entity", "entity_id", "action", "changes", "chain_seq", "hash"]
    assert [(row[3], int(row[4]), row[5]) for row in rows] == [("unit", unit_id, "create") for unit_id in changes]


def test_only_the_office_reads_the_audit(tasks_client, auth):
    assert_problem(tasks_client.get("/v1/audit", headers=auth("unit", unit_id=1)), 403)
    assert_problem(tasks_client.get("/v1/audit.csv", headers=auth("viewer")), 403)
    assert_problem(tasks_client.get("/v1/audit"), 401)


def test_the_chain_of_untouched_changes_is_intact(tasks_client, tasks_database, auth, changes):
    assert chain_of(tasks_database) == ChainReport(rows=4)


def test_a_change_rewritten_behind_the_api_is_named(tasks_client, tasks_database, auth, changes):
    second = audit(tasks_client, auth)["data"][1]["id"]
    tamper(tasks_database, update(change_log).where(change_log.c.id == second).values(actor="someone-else"))
    report = chain_of(tasks_database)
    assert (report.broken_id, report.intact) == (second, False)


def test_a_deleted_change_is_found_at_the_one_after_it(tasks_client, tasks_database, auth, changes):
    rows = audit(tasks_client, auth)["data"]
    tamper(tasks_database, delete(change_log).where(change_log.c.id == rows[1]["id"]))
    assert chain_of(tasks_database).broken_id == rows[2]["id"]


def test_a_failed_write_leaves_the_chain_intact(tasks_client, tasks_database, auth, changes):
    duplicate = tasks_client.post("/v1/units", json={"name": "市统计局", "kind": "department"}, headers=auth("office"))
    assert duplicate.status_code == 409
    create_unit(tasks_client, auth, "市大数据局")
    assert chain_of(tasks_database) == ChainReport(rows=5)


def test_changes_written_at_once_join_the_chain_one_after_another(tasks_client, tasks_database, auth):
    names = [f"并发单位{n}" for n in range(8)]
    barrier, statuses = threading.Barrier(len(names)), []

    def create(name):
        barrier.wait()
        statuses.append(
            tasks_client.post(
                "/v1/units", json={"name": name, "kind": "department"}, headers=auth("office")
            ).status_code
        )

    threads = [threading.Thread(target=create, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [201] * len(names)
    assert chain_of(tasks_database) == ChainReport(rows=len(names))


def test_duban_audit_verify_exits_1_and_names_the_broken_change(tasks_client, tasks_database, auth, changes, capsys):
    assert duban(["audit", "verify", "tasks_api", "--database-url", tasks_database]) == 0
    assert "tasks_api: the chain of 4 change(s) is intact" in capsys.readouterr().out
    first = audit(tasks_client, auth)["data"][0]["id"]
    tamper(tasks_database, update(change_log).where(change_log.c.id == first).values(changes={}))
    assert duban(["audit", "verify", "tasks_api", "--database-url", tasks_database]) == 1
    assert f"BROKEN at change {first}" in capsys.readouterr().out
