"""The reports answering for a period as compliance holds them: columns read as a row of texts (oversight/filed.py)."""

import gc
from array import array

from services.common import json as duban_json
from services.reporting_api.oversight.filed import FiledReports, filed_columns_read, period_filed
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.repository import period_reports, reports
from services.reporting_api.periods.obligations import pair_key
from tests.reporting_api.test_compliance import filed_reports
from tests.reporting_api.test_reports import file_report, review, submit

SHOWN = ("id", "period", "status", "reached", "late", "days_late")  # what a compliance row reads of a report


def read_row(client, plan_id, period):
    """The row of texts compliance reads of the period."""

    async def read():
        async with client.app.state.database.read() as conn:
            return dict((await conn.execute(*filed_columns_read(plan_id, period))).one()._mapping)

    return client.portal.call(read)


def set_columns(client, report_id, **values):
    """Columns of a report written past the API, as SQL written by hand would."""

    async def write():
        async with client.app.state.database.transaction() as conn:
            await conn.execute(reports.update().where(reports.c.id == report_id).values(**values))

    client.portal.call(write)


def read_both(client, plan_id, period, unit_id=None):
    """The period's reports as compliance reads them, and as the reports read (by pair) gives them."""

    async def read():
        async with client.app.state.database.read() as conn:
            statement, values = filed_columns_read(plan_id, period, unit_id=unit_id)
            columns = [dict(row._mapping) for row in await conn.execute(statement, values)]
            return FiledReports.of(columns, period), await period_reports(conn, plan_id, period, unit_id=unit_id)

    return client.portal.call(read)


def test_the_columns_hold_every_pair_s_report_as_the_reports_read_gives_it(reporting_client, quzhou, auth, transport):
    headers = transport["headers"]
    first, second = quzhou.item("T9")["id"], quzhou.item("T10")["id"]
    submit(reporting_client, headers, file_report(reporting_client, headers, first)["id"])
    returned = submit(reporting_client, headers, file_report(reporting_client, headers, second)["id"])
    assert review(reporting_client, auth, returned["id"], "return", "补充数据").status_code == 200
    file_report(reporting_client, headers, first, period="2024-H1")  # a draft answering for 2024-Q2

    for period in ("2024-Q1", "2024-Q2"):
        filed, by_pair = read_both(reporting_client, quzhou.plan_id, period)
        assert {pair: filed[pair] for pair in filed} == {
            pair: {name: report[name] for name in SHOWN} | {"reached": bool(report["reached"])}  # SQLite's: 0 or 1
            for pair, report in by_pair.items()
        }
    filed, _ = read_both(reporting_client, quzhou.plan_id, "2024-Q1")
    assert {report["status"] for report in filed.values()} == {"submitted", "returned"}


def test_a_unit_s_columns_hold_its_own_reports_only(reporting_client, quzhou, transport):
    headers = transport["headers"]
    file_report(reporting_client, headers, quzhou.item("T9")["id"])
    filed, by_pair = read_both(reporting_client, quzhou.plan_id, "2024-Q1", unit_id=transport["unit_id"])
    assert set(filed) == set(by_pair) and {unit for _, unit in filed} == {transport["unit_id"]}
    other, _ = read_both(reporting_client, quzhou.plan_id, "2024-Q1", unit_id=transport["unit_id"] + 1)
    assert len(other) == 0


def test_a_period_nobody_filed_for_holds_no_report():
    nothing = dict.fromkeys(("id", "pair", "period", "state", "days_late"))
    assert len(FiledReports.of([nothing], "2024-Q1")) == 0
    assert FiledReports.of([], "2024-Q1").get((1, 5)) is None


def test_of_a_pair_that_filed_twice_the_latest_answers_in_whatever_order_they_came():
    row = {
        "id": "9,4,7",
        "pair": f"{pair_key(1, 5)},{pair_key(1, 5)},{pair_key(2, 5)}",
        "period": "2,1,2",  # places among the answering periods
    }
    row |= {"state": "0,7,10", "days_late": "0,3,0"}  # draft; submitted (reached), late; accepted (reached)
    filed = FiledReports.of([row], "2024-Q2")  # answered by 2024-M06, 2024-Q2 and 2024-H1
    draft = {"id": 9, "period": "2024-H1", "status": "draft", "reached": False, "late": False, "days_late": 0}
    assert filed[(1, 5)] == draft
    assert (2, 5) in filed and (3, 5) not in filed and len(filed) == 2


def test_the_reports_are_parsed_once_while_their_texts_read_the_same():
    row = {"id": "3", "pair": str(pair_key(1, 5)), "period": "0", "state": "0", "days_late": "0"}  # a draft
    memo = InputMemo(8)
    first = period_filed(memo, [row], 1, "2024-Q1", None)
    assert period_filed(memo, [dict(row)], 1, "2024-Q1", None) is first
    submitted = period_filed(memo, [row | {"state": "6"}], 1, "2024-Q1", None)
    assert (first[(1, 5)]["status"], submitted[(1, 5)]["status"]) == ("draft", "submitted")
    assert period_filed(memo, [row], 1, "2024-Q1", 5) is not period_filed(memo, [row], 1, "2024-Q1", None)


def test_the_counts_of_the_keys_counted_last_are_kept_and_other_keys_counted_anew():
    filed = filed_reports(
        {
            (1, 5): {
                "id": 3,
                "status": "submitted",
                "reached": True,
                "late": True,
                "days_late": 2,
                "period": "2024-Q1",
            },
            (1, 6): {"id": 4, "status": "draft", "reached": False, "late": False, "days_late": 0, "period": "2024-Q1"},
        }
    )
    keys = array("q", [pair_key(1, 5), pair_key(1, 6), pair_key(2, 5)])
    counted = filed.counted(keys)
    assert filed.counted(keys) is counted
    assert counted == {("submitted", True, True): 1, ("draft", False, False): 1}
    assert filed.counted(array("q", [pair_key(1, 6)])) == {("draft", False, False): 1}
    assert filed.counted(array("q", keys)) == counted and filed.counted(keys) is not counted


def test_the_database_codes_each_status_and_lateness_as_one_small_integer(reporting_client, quzhou, auth, transport):
    headers = transport["headers"]
    late = file_report(reporting_client, headers, quzhou.item("T9")["id"])
    submit(reporting_client, headers, late["id"])
    set_columns(reporting_client, late["id"], late=True)
    file_report(reporting_client, headers, quzhou.item("T10")["id"])  # a draft, on time

    row = read_row(reporting_client, quzhou.plan_id, "2024-Q1")
    assert sorted(row["state"].split(",")) == ["0", "7"]  # draft: 0; submitted (1 * 4), reached (2) and late (1)


def test_a_status_outside_the_workflow_s_keeps_its_name(reporting_client, quzhou, transport):
    report = file_report(reporting_client, transport["headers"], quzhou.item("T9")["id"])
    set_columns(reporting_client, report["id"], status="archived", late=True)  # only hand-written SQL could

    filed, _ = read_both(reporting_client, quzhou.plan_id, "2024-Q1")
    assert [(r["status"], r["late"]) for r in filed.values()] == [("archived", True)]


def test_the_state_codes_and_the_names_of_other_statuses_are_read_together():
    row = {"id": "1,2,3", "pair": f"{pair_key(1, 5)},{pair_key(2, 5)},{pair_key(3, 5)}", "period": "0,0,0"}
    row |= {"state": "11,archived/0,archived/1", "days_late": "2,0,4"}  # accepted (2 * 4), reached (2), late (1)
    filed = FiledReports.of([row], "2024-Q1")
    assert [(filed[(n, 5)]["status"], filed[(n, 5)]["late"]) for n in (1, 2, 3)] == [
        ("accepted", True),
        ("archived", False),
        ("archived", True),
    ]


def test_the_integers_are_parsed_a_piece_of_their_text_at_a_time(monkeypatch):
    monkeypatch.setattr(duban_json, "INTEGERS_PIECE", 3)  # a few characters a piece
    values = [pair_key(1, 5), 7, pair_key(30, 1), 0]
    assert list(duban_json.integers(",".join(map(str, values)))) == values
    assert len(duban_json.integers(None)) == len(duban_json.integers("")) == 0


def tracked_objects(filed):
    """The objects the collector walks among those `filed` holds (itself, its columns and what they hold)."""
    held = [filed, *(getattr(filed, name) for name in filed.__slots__)]
    reachable = {id(part): part for holder in held for part in [holder, *gc.get_referents(holder)]}
    return sum(gc.is_tracked(part) and not isinstance(part, type) for part in reachable.values())


def test_the_columns_keep_no_object_per_report_that_the_collector_walks():
    def accepted(count):
        return filed_reports(
            {
                (item, 5): {"id": item, "status": "accepted", "reached": True, "late": False, "days_late": 0}
                | {"period": "2024-Q1"}
                for item in range(1, count + 1)
            }
        )

    assert tracked_objects(accepted(2_000)) == tracked_objects(accepted(2)) <= 8
