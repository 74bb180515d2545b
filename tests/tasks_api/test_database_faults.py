"""tasks_api when its database connection breaks half-way through a write: 503, nothing half-written."""

import pytest

from services.tasks_api.models import metadata
from tests.conftest import QUZHOU_PLAN
from tests.faults import DatabaseBreaker, check_write_survives_database_break


@pytest.fixture
def breaker(tasks_client):
    return DatabaseBreaker(tasks_client.app.state.database.engine, at=5)


def test_a_plan_import_cut_off_by_the_database_is_503_and_leaves_no_item_behind(
    tasks_client, breaker, auth, tasks_database
):
    headers = auth("office", **{"Content-Type": "application/yaml"})
    check_write_survives_database_break(
        lambda: tasks_client.post("/v1/plans/import", content=QUZHOU_PLAN.read_bytes(), headers=headers),
        breaker,
        recovered_status=200,
        database_url=tasks_database,
        metadata=metadata,
    )


def test_a_unit_created_while_the_database_breaks_is_503_and_not_there(tasks_client, auth, tasks_database):
    breaker = DatabaseBreaker(tasks_client.app.state.database.engine, at=1)
    check_write_survives_database_break(
        lambda: tasks_client.post(
            "/v1/units",
            json={"name": "市数据局", "kind": "department"},
            headers={**auth("office"), "Idempotency-Key": "unit-data-bureau"},
        ),
        breaker,
        recovered_status=201,
        database_url=tasks_database,
        metadata=metadata,
    )
