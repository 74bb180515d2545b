"""What reporting_api's tests share: the unit most of them file as."""

import pytest

TRANSPORT = "市交通运输局"


@pytest.fixture
def transport(quzhou, auth):
    """市交通运输局, a unit with duties on most of the plan's items: its id and a unit token for it."""
    unit_id = quzhou.unit_id(TRANSPORT)
    return {"unit_id": unit_id, "headers": auth("unit", unit_id=unit_id)}
