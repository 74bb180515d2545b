"""Compliance: every expected (item, unit) pair of a period with the state of its report."""

from array import array
from dataclasses import replace
from datetime import date

import pytest

from services.common.contracts.columns import Columns
from services.common.contracts.plan_rows import PlanAssignment, PlanItem
from services.common.driver_reads import NO_DRIVER_POOL
from services.reporting_api.oversight import repository
from services.reporting_api.oversight.compliance import compliance_pages, compliance_summary, period_obligations
from services.reporting_api.oversight.compliance_rows import compliance_rows, duty_columns, rows_of
from services.reporting_api.oversight.filed import REACHED_BIT, STATUS_SHIFT, STATUSES, FiledReports
from services.reporting_api.oversight.lights import REPORTED
from services.reporting_api.oversight.memo import InputMemo
from services.reporting_api.oversight.obligation_list import owed_positions
from services.reporting_api.oversight.walks import ComplianceWalks
from services.reporting_api.periods import obligations
from services.reporting_api.periods.calendar import schedule
from services.reporting_api.periods.obligations import (
    CadenceBook,
    Obligation,
    PairKeys,
    Rhythm,
    obligations_of,
    pair_key,
)
from services.reporting_api.reports.models import ReportStatus
from tests.reporting_api.test_reports import file_report, review, submit

PROBLEM = "application/problem+json"
AFTER_DUE = "2024-05-01"  # 2024-Q1 is due on 2024-04-10
BEFORE_DUE = "2024-04-01"


def compliance(client, headers, plan_id, period="2024-Q1", **params):
    response = client.get(
        f"/v1/plans/{plan_id}/compliance", params={"period": period, "limit": 500, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def row_of(view, item_id, unit_id):
    return next(r for r in view["data"] if (r["item_id"], r["unit_id"]) == (item_id, unit_id))


# The responsibilities that owe 2024-Q1's report: those of items not ended before 2024 (the 2019–2020 key works
# owe nothing any more).
OWING = 152


def plan_assignments(quzhou_client, auth, plan_id, quzhou=None):
    """The plan's responsibilities; given `quzhou`, only those of items that owe 2024's reports."""
    page = quzhou_client.get(f"/v1/plans/{plan_id}/assignments", params={"limit": 500}, headers=auth("viewer"))
    rows = page.json()["data"]
    if quzhou is None:
        return rows
    ended = {i["id"] for i in quzhou._items.values() if i["due_on"] and i["due_on"] < "2024-01-01"}
    return [a for a in rows if a["item_id"] not in ended]


def test_with_nothing_filed_every_responsibility_of_the_plan_is_missing(reporting_client, quzhou_client, auth, quzhou):
    view = compliance(reporting_client, auth("office"), quzhou.plan_id)
    quzhou.item("T9")  # loads the items
    expected = {
        (a["item_id"], a["unit_id"], a["role"]) for a in plan_assignments(quzhou_client, auth, quzhou.plan_id, quzhou)
    }
    assert len(view["data"]) == view["summary"]["expected"] == OWING
    assert {(r["item_id"], r["unit_id"], r["role"]) for r in view["data"]} == expected
    assert {r["state"] for r in view["data"]} == {"missing"}
    assert view["summary"]["missing"] == OWING


def test_items_without_units_expect_no_report(reporting_client, auth, quzhou):
    view = compliance(reporting_client, auth("office"), quzhou.plan_id)
    listed = {r["item_key"] for r in view["data"]}
    assert not listed & {"goals", "S3", "SG1", "A3", "T13", "P7"}


def test_a_missing_report_after_the_due_date_is_overdue_and_late(reporting_client, auth, quzhou, transport):
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of=AFTER_DUE)
    row = row_of(view, quzhou.item("T9")["id"], transport["unit_id"])
    assert (view["due_on"], row["state"], row["overdue"], row["late"], row["days_late"]) == (
        "2024-04-10",
        "missing",
        True,
        True,
        15,
    )  # working days to 1 May, a holiday
    assert view["summary"]["overdue"] == OWING


def test_a_missing_report_before_the_due_date_is_not_overdue(reporting_client, auth, quzhou, transport):
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of=BEFORE_DUE)
    row = row_of(view, quzhou.item("T9")["id"], transport["unit_id"])
    assert (row["state"], row["overdue"], row["late"], row["days_late"]) == ("missing", False, False, 0)


def test_a_report_submitted_after_the_due_date_is_submitted_and_late(reporting_client, auth, quzhou, transport):
    t9 = quzhou.item("T9")["id"]
    report = file_report(reporting_client, transport["headers"], t9)
    submit(reporting_client, transport["headers"], report["id"])
    view = compliance(reporting_client, auth("office"), quzhou.plan_id)
    row = row_of(view, t9, transport["unit_id"])
    assert (row["state"], row["report_id"], row["late"], row["overdue"], row["role"]) == (
        "submitted",
        report["id"],
        True,
        False,
        "lead",
    )
    assert (view["summary"]["submitted"], view["summary"]["missing"]) == (1, OWING - 1)


def test_a_draft_is_listed_as_draft_and_still_overdue(reporting_client, auth, quzhou, transport):
    t9 = quzhou.item("T9")["id"]
    file_report(reporting_client, transport["headers"], t9)
    row = row_of(compliance(reporting_client, auth("office"), quzhou.plan_id), t9, transport["unit_id"])
    assert (row["state"], row["overdue"]) == ("draft", True)


@pytest.mark.parametrize(("decision", "state"), [("accept", "accepted"), ("return", "returned")])
def test_a_reviewed_report_shows_its_outcome(reporting_client, auth, quzhou, transport, decision, state):
    t9 = quzhou.item("T9")["id"]
    report = file_report(reporting_client, transport["headers"], t9)
    submit(reporting_client, transport["headers"], report["id"])
    assert review(reporting_client, auth, report["id"], decision, "请补充").status_code == 200
    view = compliance(reporting_client, auth("office"), quzhou.plan_id)
    assert row_of(view, t9, transport["unit_id"])["state"] == state
    assert view["summary"][state] == 1


def test_the_state_filter_lists_only_those_who_have_not_reported(reporting_client, auth, quzhou, transport):
    t9 = quzhou.item("T9")["id"]
    submit(reporting_client, transport["headers"], file_report(reporting_client, transport["headers"], t9)["id"])
    view = compliance(reporting_client, auth("service"), quzhou.plan_id, state="missing")
    assert len(view["data"]) == OWING - 1
    assert (t9, transport["unit_id"]) not in {(r["item_id"], r["unit_id"]) for r in view["data"]}
    assert view["summary"]["expected"] == OWING  # the summary counts before the state filter


def test_the_unit_filter_lists_one_units_responsibilities(reporting_client, quzhou_client, auth, quzhou, transport):
    view = compliance(reporting_client, auth("office"), quzhou.plan_id, unit_id=transport["unit_id"])
    quzhou.item("T9")  # loads the items
    mine = [
        a for a in plan_assignments(quzhou_client, auth, quzhou.plan_id, quzhou) if a["unit_id"] == transport["unit_id"]
    ]
    assert sorted(r["responsibility_id"] for r in view["data"]) == sorted(a["id"] for a in mine)
    assert view["summary"]["expected"] == len(mine)


def test_a_unit_token_sees_only_its_own_rows(reporting_client, auth, quzhou, transport):
    view = compliance(reporting_client, transport["headers"], quzhou.plan_id)
    assert view["data"] and {r["unit_id"] for r in view["data"]} == {transport["unit_id"]}


def test_a_unit_token_cannot_ask_for_another_units_rows(reporting_client, auth, quzhou, transport):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance",
        params={"period": "2024-Q1", "unit_id": quzhou.unit_id("市文旅局")},
        headers=transport["headers"],
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_compliance_pages_with_a_cursor_in_responsibility_order(reporting_client, auth, quzhou):
    url, seen, cursor = f"/v1/plans/{quzhou.plan_id}/compliance", [], None
    while True:
        params = {"period": "2024-Q1", "limit": 100, **({"cursor": cursor} if cursor else {})}
        response = reporting_client.get(url, params=params, headers=auth("office"))
        assert response.status_code == 200, response.text
        seen += [r["responsibility_id"] for r in response.json()["data"]]
        if not (cursor := response.json()["next_cursor"]):
            break
        assert 'rel="next"' in response.headers["link"]
    assert len(seen) == OWING and seen == sorted(set(seen))


def test_the_period_is_required(reporting_client, auth, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/compliance", headers=auth("office"))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("period", ["2024-Q5", "2030-Q1"])
def test_a_period_that_is_not_one_of_the_plan_is_refused(reporting_client, auth, quzhou, period):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance", params={"period": period}, headers=auth("office")
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_an_unknown_state_is_refused(reporting_client, auth, quzhou):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance", params={"period": "2024-Q1", "state": "lost"}, headers=auth("office")
    )
    assert response.status_code == 422


def test_compliance_of_an_unknown_plan_is_404(reporting_client, auth):
    response = reporting_client.get("/v1/plans/999999/compliance", params={"period": "2024-Q1"}, headers=auth("office"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_compliance_needs_a_token(reporting_client, quzhou):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/compliance", params={"period": "2024-Q1"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def test_a_cursor_we_did_not_issue_is_refused(reporting_client, auth, quzhou):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/compliance",
        params={"period": "2024-Q1", "cursor": "not-a-cursor"},
        headers=auth("office"),
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


def _walk(client, headers, plan_id, cursor=None):
    params = {"period": "2024-Q1", "limit": 100, **({"cursor": cursor} if cursor else {})}
    response = client.get(f"/v1/plans/{plan_id}/compliance", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_pages_after_the_first_continue_its_view_and_a_new_walk_sees_reports_filed_meanwhile(
    reporting_client, auth, quzhou, transport
):
    everyone = compliance(reporting_client, auth("office"), quzhou.plan_id)["data"]
    later = [r for r in everyone[100:] if r["unit_id"] == transport["unit_id"]][-1]  # a row beyond the first page
    first = _walk(reporting_client, auth("office"), quzhou.plan_id)
    report = file_report(reporting_client, transport["headers"], later["item_id"])
    submit(reporting_client, transport["headers"], report["id"])
    cursor, rest = first["next_cursor"], []
    while cursor:
        page = _walk(reporting_client, auth("office"), quzhou.plan_id, cursor)
        rest, cursor = rest + page["data"], page["next_cursor"]
    assert row_of({"data": rest}, later["item_id"], later["unit_id"])["state"] == "missing"
    assert (
        row_of(compliance(reporting_client, auth("office"), quzhou.plan_id), later["item_id"], later["unit_id"])[
            "state"
        ]
        == "submitted"
    )


# The same day, and the next: the period's reports are parsed once while they read the same (filed.period_filed).
@pytest.mark.parametrize("second_day", [AFTER_DUE, "2024-05-02"])
def test_a_report_submitted_between_two_reads_of_compliance_shows_in_the_second(
    reporting_client, auth, quzhou, transport, second_day
):
    item_id, unit_id, headers = quzhou.item("T9")["id"], transport["unit_id"], transport["headers"]
    before = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of=AFTER_DUE)
    submit(reporting_client, headers, file_report(reporting_client, headers, item_id)["id"])
    after = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of=second_day)
    assert (row_of(before, item_id, unit_id)["state"], row_of(after, item_id, unit_id)["state"]) == (
        "missing",
        "submitted",
    )
    assert (before["summary"]["submitted"], after["summary"]["submitted"]) == (0, 1)


def test_compliance_with_another_filter_is_the_one_computed_from_nothing_kept(
    reporting_client, auth, quzhou, transport
):
    headers = transport["headers"]
    submit(reporting_client, headers, file_report(reporting_client, headers, quzhou.item("T9")["id"])["id"])
    compliance(reporting_client, auth("office"), quzhou.plan_id, as_of=AFTER_DUE)
    kept = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of=AFTER_DUE, state="submitted")
    memo = reporting_client.app.state.rollup_memo
    reporting_client.app.state.rollup_memo = InputMemo(8)
    try:
        from_nothing = compliance(reporting_client, auth("office"), quzhou.plan_id, as_of=AFTER_DUE, state="submitted")
    finally:
        reporting_client.app.state.rollup_memo = memo
    assert kept == from_nothing
    assert [r["state"] for r in kept["data"]] == ["submitted"]


def test_compliance_opens_a_read_connection_only_where_its_reads_run_on_one(
    reporting_client, auth, quzhou, monkeypatch
):
    db, opened = reporting_client.app.state.database, []
    read = db.read

    def counted():
        opened.append(read)
        return read()

    monkeypatch.setattr(db, "read", counted)
    compliance(reporting_client, auth("office"), quzhou.plan_id)
    # PostgreSQL: each read on a connection of the driver pool; SQLite: one after the other on a read connection.
    assert len(opened) == (1 if db.driver_pool is NO_DRIVER_POOL else 0)


def test_a_kept_walk_goes_stale_and_only_the_latest_few_are_kept():
    now = [0.0]
    walks = ComplianceWalks(seconds=10, kept=2, clock=lambda: now[0])
    for key in ("a", "b", "c"):
        walks.keep(key, {"rows": [key]})
    assert (walks.get("a"), walks.get("b"), walks.get("c")) == (None, {"rows": ["b"]}, {"rows": ["c"]})
    now[0] = 11
    assert walks.get("c") is None


# -- items closed (办结销号) -------------------------------------------------------------------------------


def closed_on(day):
    return PlanItem(
        id=1,
        plan_id=1,
        parent_id=None,
        key="T1",
        kind="task",
        number="1",
        title="t",
        due_on=None,
        status="closed",
        closed_on=day,
    )


DUTY = PlanAssignment(id=7, item_id=1, unit_id=5, unit_name="市交通运输局", role="lead")


def rows_for_2024_q1(item, filed=None):
    """Compliance of 2024-Q1 (due 2024-04-10) for one duty, judged on 2024-05-01, with the default rhythm."""
    calendar = {s.period.id: s for s in schedule(date(2024, 1, 1), date(2024, 12, 31), 10, {})}
    obligations = obligations_of(Rhythm(calendar, CadenceBook()), "2024-Q1", [item], [DUTY], filed or {})
    return compliance_rows([item], obligations, filed or {}, today=date(2024, 5, 1))


def test_an_item_closed_before_the_due_date_owes_no_report():
    assert rows_for_2024_q1(closed_on(date(2024, 3, 1))) == []


def test_an_item_closed_after_the_due_date_still_owed_that_report():
    rows = rows_for_2024_q1(closed_on(date(2024, 4, 20)))
    assert [(r["state"], r["overdue"]) for r in rows] == [("missing", True)]


def test_a_report_filed_for_a_closed_item_is_still_listed():
    report = {"id": 3, "status": "submitted", "reached": True, "late": False, "days_late": 0, "period": "2024-Q1"}
    rows = rows_for_2024_q1(closed_on(date(2024, 3, 1)), {(1, 5): report})
    assert [r["state"] for r in rows] == ["submitted"]


# -- the owed rows an obligations page lists ----------------------------------------------------------------


CO_DUTY = PlanAssignment(id=8, item_id=1, unit_id=6, unit_name="市文旅局", role="co")
OTHER_DUTY = PlanAssignment(id=9, item_id=2, unit_id=5, unit_name="市交通运输局", role="lead")


def reached(filed):
    """The pairs whose report reached the office, by pair_key: what a pending list leaves out (read in SQL by the
    service)."""
    return {pair_key(*pair) for pair, report in filed.items() if report["reached"]}


def owed_2024_q1(filed, *, pending, owing=frozenset({1})):
    """The owed rows of 2024-Q1 (due 2024-04-10) for three duties, judged on 2024-05-01."""
    q1 = next(s for s in schedule(date(2024, 1, 1), date(2024, 12, 31), 10, {}) if s.period.id == "2024-Q1")
    left_out = PairKeys(list(reached(filed)) if pending else ())
    duties = Columns.of(PlanAssignment, [DUTY, CO_DUTY, OTHER_DUTY])
    kept = owed_positions(duties, set(owing), left_out=left_out)
    return rows_of(duty_columns(duties, kept, {1: closed_on(None)}, filed, q1, today=date(2024, 5, 1)))


@pytest.mark.parametrize("few", [obligations.FEW_PAIRS, 0], ids=["a set", "a sorted array"])
def test_pending_owed_obligations_leave_out_a_pair_whose_report_reached_the_office_and_keep_a_draft(monkeypatch, few):
    monkeypatch.setattr(obligations, "FEW_PAIRS", few)
    filed = {
        (1, 5): {"id": 3, "status": "submitted", "reached": True, "late": False, "days_late": 0, "period": "2024-Q1"},
        (1, 6): {"id": 4, "status": "draft", "reached": False, "late": False, "days_late": 0, "period": "2024-Q1"},
    }
    assert [(r["responsibility_id"], r["state"]) for r in owed_2024_q1(filed, pending=True)] == [(8, "draft")]
    assert [r["state"] for r in owed_2024_q1(filed, pending=False)] == ["submitted", "draft"]


def test_the_rows_made_from_the_duties_columns_are_compliances_rows_of_those_obligations():
    q1 = next(s for s in schedule(date(2024, 1, 1), date(2024, 12, 31), 10, {}) if s.period.id == "2024-Q1")
    filed = {
        (1, 5): {"id": 3, "status": "submitted", "reached": True, "late": True, "days_late": 2, "period": "2024-Q1"},
        (1, 6): {"id": 4, "status": "draft", "reached": False, "late": False, "days_late": 0, "period": "2024-Q1"},
    }
    duties = [DUTY, CO_DUTY, OTHER_DUTY]  # item 2 has no label: its row says so with nulls
    from_columns = rows_of(duty_columns(Columns.of(PlanAssignment, duties), [2, 0, 1], {1: closed_on(None)}, filed,
                                        q1, today=date(2024, 5, 1)))  # fmt: skip
    obligations = [Obligation(duties[at], q1) for at in (2, 0, 1)]
    assert from_columns == compliance_rows([closed_on(None)], obligations, filed, today=date(2024, 5, 1))
    assert [r["responsibility_id"] for r in from_columns] == [9, DUTY.id, 8]


def test_a_report_that_has_not_reached_the_office_is_a_draft():
    # The pending reads ask for drafts by their status (repository._UNREACHED_DRAFT), for "none of REPORTED".
    assert set(ReportStatus) == {ReportStatus.DRAFT, *REPORTED}


@pytest.mark.parametrize("few", [obligations.FEW_PAIRS, 0], ids=["a set", "a sorted array"])
def test_the_pairs_left_out_are_those_keyed_but_the_ones_excepted(monkeypatch, few):
    monkeypatch.setattr(obligations, "FEW_PAIRS", few)
    left_out = PairKeys([pair_key(9, 1), pair_key(1, 5), pair_key(1, 6)], but={pair_key(1, 6)})
    assert [pair_key(*pair) in left_out for pair in ((1, 5), (9, 1), (1, 6), (1, 7), (10, 0))] == [
        True,
        True,
        False,
        False,
        False,
    ]


def test_pairs_left_out_that_come_in_key_order_are_kept_as_they_come():
    keys = array("q", range(obligations.FEW_PAIRS + 1))
    assert PairKeys(keys).keys is keys


def test_the_answered_keys_are_read_from_their_text():
    keys = [pair_key(1, 5), pair_key(2, 7), pair_key(30, 1)]
    assert repository.answered_keys([{"keys": ",".join(map(str, keys))}]) == array("q", keys)
    assert repository.answered_keys([{"keys": None}]) == repository.answered_keys([]) == array("q")


def test_owed_obligations_are_the_duties_of_items_owing_with_their_compliance_rows():
    rows = owed_2024_q1({}, pending=True)
    assert [r["responsibility_id"] for r in rows] == [7, 8]  # item 2 owes nothing: its duty is left out
    assert rows[0] == rows_for_2024_q1(closed_on(None))[0]


# -- rows built a page at a time -------------------------------------------------------------------------------


def pages_of_2024_q1(filed, state=None):
    """The three duties' compliance of 2024-Q1, judged on 2024-05-01: the pages, and every row built at once."""
    calendar = {s.period.id: s for s in schedule(date(2024, 1, 1), date(2024, 12, 31), 10, {})}
    items = [replace(closed_on(None), status="open"), replace(closed_on(None), id=2)]
    obligations = obligations_of(Rhythm(calendar, CadenceBook()), "2024-Q1", items, [DUTY, CO_DUTY, OTHER_DUTY], filed)
    header = {"plan_id": 1, "period": "2024-Q1", "owed_period": "2024-Q1", "report_type": "quarterly"}
    by_id = {item.id: item for item in items}
    pages = compliance_pages(header, by_id, obligations, filed, today=date(2024, 5, 1), state=state)
    return pages, compliance_rows(items, obligations, filed, today=date(2024, 5, 1))


def state_code(report):
    """A report's status, whether it reached the office and its lateness as the database codes them for compliance
    (filed._state)."""
    return (STATUSES.index(report["status"]) << STATUS_SHIFT) + REACHED_BIT * report["reached"] + int(report["late"])


def filed_reports(by_pair, period="2024-Q1"):
    """The reports of `by_pair` as the database gives compliance their columns (oversight/filed.py): a row of texts."""

    def text(values):
        return ",".join(map(str, values))

    pairs, reports, answering = list(by_pair), list(by_pair.values()), list(repository.periods_of(period).values())
    row = {name: text(r[name] for r in reports) for name in ("id", "days_late")}
    row |= {"pair": text(pair_key(*pair) for pair in pairs), "state": text(map(state_code, reports))}
    row["period"] = text(answering.index(r["period"]) for r in reports)
    return FiledReports.of([row], period)


FILED_Q1 = filed_reports(
    {
        (1, 5): {"id": 3, "status": "submitted", "reached": True, "late": True, "days_late": 2, "period": "2024-Q1"},
        (1, 6): {"id": 4, "status": "draft", "reached": False, "late": False, "days_late": 0, "period": "2024-Q1"},
    }
)


def test_compliance_pages_summarise_every_row_as_the_rows_themselves_do():
    pages, rows = pages_of_2024_q1(FILED_Q1)
    assert pages.summary == compliance_summary(rows)
    assert pages.rows_after(None, 1) == rows[:2]  # limit + 1 rows: the page and whether more follow
    assert pages.rows_after(8, 500) == rows[2:]  # after responsibility 8


def test_compliance_pages_keep_only_the_state_asked_for_and_summarise_them_all():
    pages, rows = pages_of_2024_q1(FILED_Q1, state="missing")
    assert [r["responsibility_id"] for r in pages.rows_after(None, 50)] == [9]
    assert pages.summary == compliance_summary(rows)


def test_the_obligations_of_a_period_every_duty_owes_are_summarised_as_their_rows_are():
    calendar = {s.period.id: s for s in schedule(date(2024, 1, 1), date(2024, 12, 31), 10, {})}
    items = [replace(closed_on(None), status="open"), replace(closed_on(None), id=2)]
    rhythm, duties = Rhythm(calendar, CadenceBook()), [DUTY, CO_DUTY, OTHER_DUTY]
    owed = period_obligations(rhythm, "2024-Q1", duties, {1, 2}, FILED_Q1)
    pages, rows = pages_of_2024_q1(FILED_Q1)
    assert list(owed) == obligations_of(rhythm, "2024-Q1", items, duties, FILED_Q1)
    assert compliance_pages({}, {}, owed, FILED_Q1, today=date(2024, 5, 1), state=None).summary == pages.summary
    assert pages.summary == compliance_summary(rows)


def test_a_report_filed_by_a_duty_that_owes_nothing_is_still_listed_not_owed():
    calendar = {s.period.id: s for s in schedule(date(2024, 1, 1), date(2024, 12, 31), 10, {})}
    rhythm, duties = Rhythm(calendar, CadenceBook()), [DUTY, CO_DUTY, OTHER_DUTY]
    obligations = period_obligations(rhythm, "2024-Q1", duties, {2}, FILED_Q1)  # item 1 owes nothing
    assert [(o.assignment.id, o.owed) for o in obligations] == [(7, False), (8, False), (9, True)]
