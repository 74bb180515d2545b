"""Each indicator's latest value as the lights and roll-ups read it (latest_points_statement): the latest of its
history by date then id, returned values left out, on both databases."""

from datetime import date

from services.reporting_api.oversight.repository import (
    LATEST_FIELDS,
    latest_points,
    latest_points_statement,
    measurement_points_statement,
)
from services.reporting_api.oversight.texts import text_row
from tests.reporting_api.test_indicator_progress import report_km
from tests.reporting_api.test_reports import review


def read_points(client, plan_id, today):
    """The latest value of each indicator, and each indicator's latest picked from its whole history."""

    async def read():
        values = {"plan_id": plan_id, "today": today}
        async with client.app.state.database.read() as conn:
            texts = [row._mapping for row in await conn.execute(latest_points_statement(), values)]
            history = list(await conn.execute(measurement_points_statement(), values))
        by_indicator: dict[int, tuple[date, int, float]] = {}
        for row in history:
            known = by_indicator.get(row.indicator_id)
            if known is None or (row.as_of, row.id) > known[:2]:
                by_indicator[row.indicator_id] = (row.as_of, row.id, row.value)
        picked = {indicator: (as_of, value) for indicator, (as_of, _, value) in by_indicator.items()}
        return latest_points(text_row(texts, LATEST_FIELDS)), picked

    return client.portal.call(read)


def test_the_latest_value_of_each_indicator_is_its_history_s_latest(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-Q1", 150)
    report_km(reporting_client, transport, quzhou, "2024-H1", 180)
    returned = report_km(reporting_client, transport, quzhou, "2024-Q3", 191)
    assert review(reporting_client, auth, returned["id"], "return", "数据有误").status_code == 200

    for today in (date(2024, 3, 30), date(2024, 5, 1), date(2024, 7, 1), date(2024, 12, 31)):
        latest, picked = read_points(reporting_client, quzhou.plan_id, today)
        assert latest == picked
    assert len(read_points(reporting_client, quzhou.plan_id, date(2024, 12, 31))[0]) == 5  # T9's five indicators


def test_a_fractional_value_comes_back_as_it_was_filed(reporting_client, auth, quzhou, transport):
    report_km(reporting_client, transport, quzhou, "2024-Q1", 150.35)

    latest, picked = read_points(reporting_client, quzhou.plan_id, date(2024, 12, 31))
    assert latest == picked
    assert 150.35 in {value for _, value in latest.values()}
