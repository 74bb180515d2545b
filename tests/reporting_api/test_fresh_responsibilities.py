"""Who may file a report is judged on the item's responsibilities as tasks_api has them now, not as this replica last
cached them: peer answers are kept for speed (PEER_CACHE_SECONDS), and a replica that read the item a moment before a
unit was assigned to it must not refuse that unit (nor keep accepting one that was removed) while the other replica,
its cache cold, decides otherwise."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.reporting_api.app import create_app as create_reporting_app
from services.reporting_api.models import metadata as reporting_metadata
from services.tasks_api.app import create_app as create_tasks_app
from tests.conftest import reporting_settings, serve_in_thread, tasks_settings
from tests.databases import empty_tables
from tests.reporting_api.test_reports import FULL_CONTENT
from tests.tasks_api.factories import import_small_plan


def test_a_unit_assigned_after_the_item_was_cached_files_its_report_at_once(
    tasks_client, tasks_database, reporting_database, auth
):
    plan = import_small_plan(tasks_client, auth)
    item_id, water = plan.items["T3"], plan.units["市水利局"]
    empty_tables(reporting_database, reporting_metadata)
    with serve_in_thread(create_tasks_app(tasks_settings(tasks_database))) as tasks_url:
        settings = reporting_settings(reporting_database, tasks_url).model_copy(update={"peer_cache_seconds": 30.0})
        with TestClient(create_reporting_app(settings), raise_server_exceptions=False) as reporting:
            assert reporting.get(f"/v1/items/{item_id}/cadence", headers=auth("office")).status_code == 200  # cached
            assigned = tasks_client.post(
                f"/v1/items/{item_id}/responsibilities", json={"unit_id": water, "role": "co"}, headers=auth("office")
            )
            assert assigned.status_code == 201, assigned.text
            filed = reporting.post(
                "/v1/reports",
                json={"item_id": item_id, "period": "2020-Q1", **FULL_CONTENT},
                headers=auth("unit", unit_id=water),
            )
    assert filed.status_code == 201, filed.text
    assert filed.json()["role"] == "co"
