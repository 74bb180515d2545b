"""The states of the period's lead reports as a roll-up's lights read them: one row of texts (lead_states)."""

from services.reporting_api.oversight.lights import by_pair_key
from services.reporting_api.oversight.repository import (
    LEAD_FIELDS,
    by_pair,
    lead_states,
    lead_states_statement,
    period_reports_read,
)
from services.reporting_api.oversight.texts import text_row
from services.reporting_api.periods.obligations import pair_key
from tests.reporting_api.test_filed_reports import set_columns
from tests.reporting_api.test_reports import file_report, submit


def test_of_a_pair_that_filed_twice_the_latest_state_answers_whatever_order_they_came():
    row = {"id": "9,4,7", "pair": f"{pair_key(1, 5)},{pair_key(1, 5)},{pair_key(2, 5)}"}
    row |= {"status": "submitted,draft,accepted", "self_status": "delayed,on_track,", "reached": "1,0,1"}
    states = lead_states(text_row([row], LEAD_FIELDS))
    assert states == {
        pair_key(1, 5): {"status": "submitted", "self_status": "delayed", "reached": True},
        pair_key(2, 5): {"status": "accepted", "self_status": None, "reached": True},
    }


def test_a_period_without_lead_reports_has_no_state():
    nulls = text_row([dict.fromkeys(LEAD_FIELDS)], LEAD_FIELDS)
    assert lead_states(nulls) == lead_states(text_row([], LEAD_FIELDS)) == {}


def read_both(client, plan_id, period):
    """The lead states as a roll-up reads them, and the lead reports as the lights view reads them (by pair)."""

    async def read():
        async with client.app.state.database.read() as conn:
            statement, values = period_reports_read(plan_id, period, lead_only=True)
            texts = [dict(row._mapping) for row in await conn.execute(lead_states_statement(), values)]
            reports = [dict(row._mapping) for row in await conn.execute(statement, values)]
            return lead_states(text_row(texts, LEAD_FIELDS)), by_pair(reports)

    return client.portal.call(read)


def test_the_states_are_those_of_the_lead_reports_by_pair(reporting_client, quzhou, transport):
    headers = transport["headers"]
    submit(reporting_client, headers, file_report(reporting_client, headers, quzhou.item("T9")["id"])["id"])
    draft = file_report(reporting_client, headers, quzhou.item("T10")["id"])
    set_columns(reporting_client, draft["id"], self_status="at_risk")

    states, reports = read_both(reporting_client, quzhou.plan_id, "2024-Q1")
    assert states == {
        pair_key(*pair): {"status": r["status"], "self_status": r["self_status"], "reached": bool(r["reached"])}
        for pair, r in reports.items()
    }
    assert len(states) == 2


def test_reports_by_pair_are_keyed_by_their_pairs_key_as_the_lights_read_them():
    report = {"id": 1, "status": "submitted", "self_status": None, "reached": True}
    assert by_pair_key({(1, 5): report, (2, 5): report}) == {pair_key(1, 5): report, pair_key(2, 5): report}
    assert by_pair_key({}) == {}
