"""notify_api when its database connection breaks half-way through a write: 503, nothing half-written."""

from services.notify_api.models import metadata
from tests.faults import DatabaseBreaker, check_write_survives_database_break


def test_a_contact_created_while_the_database_breaks_is_503_and_not_there(
    notify_client, notify_database, auth, receiver
):
    breaker = DatabaseBreaker(notify_client.app.state.database.engine, at=2)  # the contact, then its history
    check_write_survives_database_break(
        lambda: notify_client.post(
            "/v1/contacts",
            headers=auth("office"),
            json={
                "owner_kind": "unit",
                "owner_id": 7,
                "channel": "webhook",
                "target": receiver.endpoint("hooks/unit-7"),
            },
        ),
        breaker,
        recovered_status=201,
        database_url=notify_database,
        metadata=metadata,
    )
