"""A roll-up's filed counts: read as one row of texts, compared by the memo as they came, summed per group
(oversight/filed_counts.py)."""

from types import MappingProxyType

from services.reporting_api.oversight.filed_counts import (
    FIELDS,
    NO_FILED,
    PAIR_FIELDS,
    FiledCounts,
    filed_counts,
    filed_counts_statement,
    filed_texts,
    filed_texts_read,
    filed_texts_statement,
    rows_counted,
    texts_fields,
)
from services.reporting_api.oversight.rollups import FILED_KEY
from tests.reporting_api.test_cadence import values_for
from tests.reporting_api.test_filed_reports import set_columns
from tests.reporting_api.test_reports import file_report, review, submit

COUNTS = {"submitted": 3, "awaiting_review": 1, "accepted": 2, "returned": 0, "draft": 1, "on_time": 2, "late": 1}
COUNTS["reopened"] = 0  # the drafts among the submitted, last as in FIELDS


def test_the_statements_select_exactly_the_fields_counted():
    # A count the statement gained but FIELDS lacked would change the roll-up unseen by the memo.
    for key in FILED_KEY.values():
        assert [column.key for column in filed_counts_statement(key).selected_columns] == list(FIELDS)
        assert [column.key for column in filed_texts_statement(key).selected_columns] == list(texts_fields(key))
    assert texts_fields("unit_id") == PAIR_FIELDS and texts_fields("item_id") == FIELDS


def test_a_row_read_by_name_gives_the_same_texts_as_a_dict():
    for key in FILED_KEY.values():
        texts = {name: str(n) for n, name in enumerate(reversed(texts_fields(key)))}
        as_record = MappingProxyType(texts)  # a mapping read by name, as a driver record is
        expected = tuple(texts[name] for name in texts_fields(key))
        assert filed_texts([as_record], key) == filed_texts([texts], key) == expected


def test_a_period_nobody_filed_for_counts_nothing():
    for key in FILED_KEY.values():
        assert rows_counted(filed_texts([], key)) == 0
        assert filed_counts(filed_texts([], key), key, frozenset({7})).summed((7,)) == NO_FILED
    assert FiledCounts.of_rows([]).summed((7, 8)) == NO_FILED


# Per unit: three pairs' latest reports as item, unit and code (filed_counts.COUNTED_BY): unit 7's on item 1
# accepted late (5), on item 2 a draft (0); unit 8's on item 2 awaiting review on time (2).
PAIRS = ("1,2,2", "7,7,8", "5,0,2")


def counted(counts, unit):
    """The unit's non-zero counts by name."""
    return {name: n for name, n in zip(FIELDS[1:], counts.summed((unit,)), strict=True) if n}


def test_per_unit_each_pair_counts_what_its_code_says():
    counts = FiledCounts.of_pairs(PAIRS, frozenset())
    assert counted(counts, 7) == {"submitted": 1, "accepted": 1, "late": 1, "draft": 1}
    assert counted(counts, 8) == {"submitted": 1, "awaiting_review": 1, "on_time": 1}


def test_per_unit_the_reports_of_items_not_owing_the_period_count_nothing():
    counts = FiledCounts.of_pairs(PAIRS, frozenset({2}))
    assert counts.summed((8,)) == NO_FILED
    assert counted(counts, 7) == {"submitted": 1, "accepted": 1, "late": 1}


def test_per_item_the_items_not_owing_the_period_count_nothing_and_the_others_as_before():
    counts = FiledCounts.of_rows([{"key": 7, **COUNTS}, {"key": 9, **COUNTS}])
    owed_only = counts.but(frozenset({9, 11}))
    assert owed_only.summed((7, 9)) == counts.summed((7,))
    assert owed_only.summed((9,)) == NO_FILED
    assert counts.but(frozenset({11})) is counts  # nothing filed of an item not owing: the counts as read


def test_a_group_of_one_key_has_that_key_s_counts():
    counts = FiledCounts.of_rows([{"key": 7, **COUNTS}, {"key": 9, **COUNTS, "accepted": 5}])
    assert counts.summed((7,)) == tuple(COUNTS.values())
    assert counts.summed((9,))[FIELDS.index("accepted") - 1] == 5


def test_a_group_of_several_keys_adds_theirs_up_and_keys_nothing_was_filed_for_add_nothing():
    counts = FiledCounts.of_rows([{"key": 7, **COUNTS}, {"key": 9, **COUNTS}])
    assert counts.summed((7, 9, 11)) == tuple(2 * value for value in COUNTS.values())
    assert counts.summed((11, 12)) == NO_FILED


def test_one_count_changed_makes_the_texts_differ():
    read = FiledCounts.of_rows  # the memo compares the texts; of_rows makes them as the database does
    assert read([{"key": 7, **COUNTS, "accepted": 3}]) != read([{"key": 7, **COUNTS}])


def read_counts(client, plan_id, period, key):
    """The period's counts per `key` as texts, and as rows one key at a time."""

    async def read():
        async with client.app.state.database.read() as conn:
            statement, values = filed_texts_read(plan_id, period, key)
            texts = filed_texts([dict(row._mapping) for row in await conn.execute(statement, values)], key)
            rows = [dict(row._mapping) for row in await conn.execute(filed_counts_statement(key), values)]
            return texts, rows

    return client.portal.call(read)


def test_the_texts_hold_each_key_s_counts_as_its_row_gives_them(reporting_client, quzhou, auth, transport):
    headers = transport["headers"]
    submit(reporting_client, headers, file_report(reporting_client, headers, quzhou.item("T9")["id"])["id"])
    returned = submit(reporting_client, headers, file_report(reporting_client, headers, quzhou.item("T10")["id"])["id"])
    assert review(reporting_client, auth, returned["id"], "return", "补充数据").status_code == 200
    file_report(reporting_client, headers, quzhou.item("T11")["id"])  # a draft

    for key in set(FILED_KEY.values()):
        texts, rows = read_counts(reporting_client, quzhou.plan_id, "2024-Q1", key)
        assert rows_counted(texts) >= len(rows) > 0  # per unit: a unit's pairs
        counts = filed_counts(texts, key, frozenset())
        assert {row["key"]: counts.summed((row["key"],)) for row in rows} == {
            row["key"]: tuple(row[name] for name in FIELDS[1:]) for row in rows
        }


def test_of_a_pair_that_filed_two_reports_answering_the_period_only_the_latest_counts(
    reporting_client, quzhou, transport
):
    headers, t9 = transport["headers"], quzhou.item("T9")["id"]
    earlier = file_report(reporting_client, headers, t9, period="2024-H1")  # a draft, then moved to June's month:
    set_columns(reporting_client, earlier["id"], period="2024-M06")  # as if filed under a monthly cadence
    later = file_report(
        reporting_client,
        headers,
        t9,
        period="2024-H1",
        measurements=values_for(reporting_client, quzhou.item("T9"), "2024-06-30"),
    )
    submit(reporting_client, headers, later["id"])

    for key in set(FILED_KEY.values()):
        texts, _ = read_counts(reporting_client, quzhou.plan_id, "2024-Q2", key)
        counts = dict(
            zip(
                FIELDS[1:],
                filed_counts(texts, key, frozenset()).summed((t9 if key == "item_id" else transport["unit_id"],)),
                strict=True,
            )
        )
        assert (counts["submitted"], counts["draft"], rows_counted(texts)) == (1, 0, 1)
