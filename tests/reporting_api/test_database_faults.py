"""reporting_api when its database connection breaks half-way through a write: 503, nothing half-written."""

from services.reporting_api.models import metadata
from tests.faults import DatabaseBreaker, check_write_survives_database_break
from tests.reporting_api.test_reports import FULL_CONTENT


def test_a_submission_cut_off_by_the_database_is_503_and_leaves_no_version_or_measurement_behind(
    reporting_client, reporting_database, auth, quzhou
):
    unit = auth("unit", unit_id=quzhou.unit_id("市交通运输局"))
    filed = reporting_client.post(
        "/v1/reports",
        headers=unit,
        json={
            "item_id": quzhou.item("T9")["id"],
            "period": "2024-Q1",
            **FULL_CONTENT,
            "measurements": [
                {"indicator_id": quzhou.indicator_id("T9-expressway-km"), "value": 120.5, "as_of": "2024-03-31"}
            ],
        },
    )
    assert filed.status_code == 201, filed.text
    # The report's compare-and-set, its change log entry, the transition and the version go in first; the break
    # comes with the measurements, before the outbox.
    breaker = DatabaseBreaker(reporting_client.app.state.database.engine, at=4)
    check_write_survives_database_break(
        lambda: reporting_client.post(f"/v1/reports/{filed.json()['id']}/submit", headers=unit),
        breaker,
        recovered_status=200,
        database_url=reporting_database,
        metadata=metadata,
    )
