"""A report's writes ask tasks_api first and open their transaction after: no peer call while it holds locks."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.reporting_api.app import create_app
from services.reporting_api.models import metadata
from tests.conftest import reporting_settings
from tests.databases import empty_tables
from tests.notify_api.test_concurrent_dispatches import TransactionProbe
from tests.reporting_api.test_reports import FULL_CONTENT

LEAD, CO = "市交通运输局", "市文旅局"  # task 9 (roads): the lead unit and a co-operating unit


def test_filing_editing_submitting_withdrawing_and_deleting_ask_tasks_api_with_no_transaction_open(
    reporting_database, tasks_server, auth, quzhou
):
    empty_tables(reporting_database, metadata)
    probe = TransactionProbe(reporting_database)
    co, lead = auth("unit", unit_id=quzhou.unit_id(CO)), auth("unit", unit_id=quzhou.unit_id(LEAD))
    measured = [{"indicator_id": quzhou.indicator_id("T9-expressway-km"), "value": 120.5, "as_of": "2024-03-31"}]
    app = create_app(reporting_settings(reporting_database, tasks_server), tasks_transport=probe)
    with TestClient(app, raise_server_exceptions=False) as client:
        filed = client.post(
            "/v1/reports",
            json={"item_id": quzhou.item("T9")["id"], "period": "2024-Q1", "measurements": measured, **FULL_CONTENT},
            headers=co,
        )
        report = f"/v1/reports/{filed.json()['id']}"
        statuses = [
            filed.status_code,
            client.patch(
                report, json={"measurements": measured}, headers={**co, "If-Match": filed.headers["etag"]}
            ).status_code,
            client.post(f"{report}/submit", headers=co).status_code,
            client.post(f"{report}/withdraw", headers=lead).status_code,  # tasks_api: it leads the item
            client.delete(report, headers={**lead, "If-Match": '"1"'}).status_code,
        ]
    assert statuses == [201, 200, 200, 403, 403]
    assert probe.calls >= 5
    assert probe.calls_inside_a_transaction == 0
