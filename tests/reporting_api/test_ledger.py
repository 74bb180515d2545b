"""The ledger export (台账): one row per responsibility, as xlsx and CSV, scoped, bounded and streamed."""

import asyncio
import csv
import io
import tempfile
import tracemalloc
from datetime import datetime
from urllib.parse import quote

import openpyxl
import pytest

from services.common import clock
from services.common.contracts.tasks import ASSIGNMENT_ROWS, INDICATOR_LABEL_ROWS, Item
from services.common.csv_stream import csv_stream
from services.reporting_api.ledger import service
from services.reporting_api.ledger.writers import write_xlsx
from tests.reporting_api.test_reports import file_report, review, submit

TRANSPORT, CULTURE = "市交通运输局", "市文旅局"
PROBLEM = "application/problem+json"
MEDIA = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"}
HEADERS = [
    "事项编号",
    "序号",
    "事项名称",
    "类型",
    "责任单位",
    "角色",
    "报送周期",
    "报送状态",
    "是否逾期",
    "逾期工作日数",
    "完成进度(%)",
    "自评状态",
    "进展情况",
    "存在问题",
    "下步计划",
    "最新指标值",
    "审核意见",
    "报送时间",
    "佐证材料",
]
PROGRESS = '杭衢高铁建设顺利推进，“引号”与《书名》，逗号, 和 "英文引号"\n第二段：𠮷。'
RESPONSIBILITIES = 152  # those of the items that owe 2024-Q1's report (the 2019–2020 key works ended)


@pytest.fixture
def units(quzhou, auth):
    ids = {name: quzhou.unit_id(name) for name in (TRANSPORT, CULTURE)}
    return {name: {"unit_id": i, "headers": auth("unit", unit_id=i)} for name, i in ids.items()}


@pytest.fixture
def filed(reporting_client, auth, quzhou, units):
    """T9 for 2024-Q1: the transport bureau's report submitted late with a value; the culture bureau's returned."""
    t9, km = quzhou.item("T9")["id"], quzhou.indicator_id("T9-expressway-km")
    lead = file_report(
        reporting_client,
        units[TRANSPORT]["headers"],
        t9,
        progress=PROGRESS,
        percent_complete=60,
        measurements=[{"indicator_id": km, "value": 120, "as_of": "2024-03-31"}],
    )
    lead = submit(reporting_client, units[TRANSPORT]["headers"], lead["id"])
    co = file_report(
        reporting_client,
        units[CULTURE]["headers"],
        t9,
        measurements=[{"indicator_id": km, "value": 999, "as_of": "2024-03-31"}],
    )
    submit(reporting_client, units[CULTURE]["headers"], co["id"])
    assert review(reporting_client, auth, co["id"], "return", "请补充文旅融合项目清单").status_code == 200
    return {"lead": lead, "co": co}


def download(client, headers, plan_id, kind="xlsx", **params):
    response = client.get(f"/v1/plans/{plan_id}/ledger.{kind}", params={"period": "2024-Q1", **params}, headers=headers)
    assert response.status_code == 200, response.text
    return response


def xlsx_rows(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    rows = [list(row) for row in book.active.iter_rows(values_only=True)]
    book.close()
    return rows


def ledger(client, headers, plan_id, **params):
    """The header row and the data rows of the xlsx ledger, each data row as {header: value}."""
    header, *rows = xlsx_rows(download(client, headers, plan_id, **params))
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def row_of(rows, item_key, unit):
    return next(r for r in rows if (r["事项编号"], r["责任单位"]) == (item_key, unit))


def as_text(rows):
    return [["" if value is None else str(value) for value in row] for row in rows]


def test_the_workbook_has_the_chinese_headers_and_one_row_per_responsibility(reporting_client, auth, quzhou):
    response = download(reporting_client, auth("office"), quzhou.plan_id)
    assert response.headers["content-type"] == MEDIA["xlsx"]
    header, *rows = xlsx_rows(response)
    assert header == HEADERS
    assert len(rows) == RESPONSIBILITIES


def test_rows_follow_plan_order_lead_before_co(reporting_client, auth, quzhou):
    _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
    ids = {i: quzhou.item(i)["id"] for i in {r["事项编号"] for r in rows}}
    order = [(ids[r["事项编号"]], r["角色"] != "牵头") for r in rows]
    assert order == sorted(order)
    t9 = [(r["责任单位"], r["角色"]) for r in rows if r["事项编号"] == "T9"]
    assert t9 == [(TRANSPORT, "牵头"), (CULTURE, "配合")]


def test_the_chinese_text_of_a_filed_report_appears_verbatim(reporting_client, auth, quzhou, filed):
    _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
    row = row_of(rows, "T9", TRANSPORT)
    assert (row["进展情况"], row["完成进度(%)"], row["自评状态"]) == (PROGRESS, 60, "正常推进")
    assert (row["事项名称"], row["类型"], row["报送周期"]) == (quzhou.item("T9")["title"], "重点任务", "2024-Q1")


def test_a_late_submission_shows_yes_and_its_days_late(reporting_client, auth, quzhou, filed):
    _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
    row = row_of(rows, "T9", TRANSPORT)
    assert (row["报送状态"], row["是否逾期"], row["逾期工作日数"]) == ("已报送", "是", filed["lead"]["days_late"])
    assert filed["lead"]["days_late"] > 600  # working days since April 2024
    assert row["报送时间"].startswith("20")


def test_a_returned_report_shows_the_review_comment(reporting_client, auth, quzhou, filed):
    _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
    row = row_of(rows, "T9", CULTURE)
    assert (row["报送状态"], row["审核意见"]) == ("已退回", "请补充文旅融合项目清单")


def test_the_latest_indicator_value_appears_but_not_one_from_a_returned_version(reporting_client, auth, quzhou, filed):
    _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
    assert row_of(rows, "T9", TRANSPORT)["最新指标值"] == "高速公路里程: 120 km (2024-03-31)"
    assert row_of(rows, "T9", CULTURE)["最新指标值"] is None


def test_a_responsibility_without_a_report_is_unreported_and_overdue_after_the_due_date(reporting_client, auth, quzhou):
    with clock.frozen(datetime(2024, 5, 1, 9, 0, tzinfo=clock.SHANGHAI)):  # 2024-Q1 was due on 10 April
        _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
    row = row_of(rows, "T9", TRANSPORT)
    assert (row["报送状态"], row["是否逾期"]) == ("未报送", "是")
    assert row["逾期工作日数"] == 15  # 11 April to 30 April with the make-up Sunday 28 April; 1 May is a holiday
    assert row["进展情况"] is None and row["完成进度(%)"] is None


def test_nothing_is_overdue_before_an_extended_due_date(reporting_client, auth, quzhou):
    extended = reporting_client.put(
        f"/v1/plans/{quzhou.plan_id}/periods/2025/due-date", json={"due_on": "2099-01-10"}, headers=auth("office")
    )
    assert extended.status_code == 204
    _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id, period="2025-Q4")  # answered by 2025
    assert {(r["是否逾期"], r["逾期工作日数"]) for r in rows} == {("否", 0)}


def test_the_rows_do_not_depend_on_the_batch_size(reporting_client, auth, quzhou, filed, monkeypatch):
    whole = xlsx_rows(download(reporting_client, auth("office"), quzhou.plan_id))
    monkeypatch.setattr(service, "BATCH_SIZE", 7)
    assert xlsx_rows(download(reporting_client, auth("office"), quzhou.plan_id)) == whole


def test_the_csv_starts_with_a_bom_and_holds_the_same_rows_as_the_workbook(reporting_client, auth, quzhou, filed):
    workbook = xlsx_rows(download(reporting_client, auth("office"), quzhou.plan_id))
    response = download(reporting_client, auth("office"), quzhou.plan_id, kind="csv")
    assert response.headers["content-type"] == MEDIA["csv"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert rows == as_text(workbook)
    assert PROGRESS in [row[12] for row in rows]


def test_the_csv_uses_crlf_and_quotes_commas_quotes_and_line_breaks(reporting_client, auth, quzhou, filed):
    body = download(reporting_client, auth("office"), quzhou.plan_id, kind="csv").content.decode("utf-8-sig")
    assert body.startswith(",".join(HEADERS) + "\r\n")
    assert '"' + PROGRESS.replace('"', '""') + '"' in body


def test_the_csv_defuses_text_a_spreadsheet_would_run_as_a_formula(reporting_client, auth, quzhou, units):
    file_report(reporting_client, units[TRANSPORT]["headers"], quzhou.item("T9")["id"], progress="=HYPERLINK(1)")
    csv_rows = list(
        csv.reader(
            io.StringIO(
                download(reporting_client, auth("office"), quzhou.plan_id, kind="csv").content.decode("utf-8-sig")
            )
        )
    )
    assert "'=HYPERLINK(1)" in [row[12] for row in csv_rows]
    _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
    assert row_of(rows, "T9", TRANSPORT)["进展情况"] == "=HYPERLINK(1)"  # a text cell in xlsx runs nothing


def retitle(client, auth, item_id, title):
    office = auth("office")
    etag = client.get(f"/v1/items/{item_id}", headers=office).headers["ETag"]
    changed = client.patch(f"/v1/items/{item_id}", json={"title": title}, headers={**office, "If-Match": etag})
    assert changed.status_code == 200, changed.text


def test_the_workbook_shows_the_plans_texts_as_written_and_only_the_csv_defuses_them(
    reporting_client, quzhou_client, auth, quzhou
):
    """An item titled "-…" is text in the workbook, shown as written on either database; the CSV's cell gets the
    apostrophe (on PostgreSQL the workbook's rows come from the CSV's query: its defusing leaked into the workbook)."""
    t9 = quzhou.item("T9")
    title = "-" + t9["title"]
    retitle(quzhou_client, auth, t9["id"], title)
    try:
        _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id)
        body = download(reporting_client, auth("office"), quzhou.plan_id, kind="csv").content.decode("utf-8-sig")
        csv_rows = list(csv.reader(io.StringIO(body)))
    finally:
        retitle(quzhou_client, auth, t9["id"], t9["title"])
    assert row_of(rows, "T9", TRANSPORT)["事项名称"] == title
    assert {row[2] for row in csv_rows if row[0] == "T9"} == {"'" + title}


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_downloads_are_named_in_ascii_and_in_chinese(reporting_client, auth, quzhou, kind):
    disposition = download(reporting_client, auth("office"), quzhou.plan_id, kind=kind).headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="ledger-quzhou-yrd-2019-2025-2024-Q1.{kind}"; ')
    assert "filename*=UTF-8''" in disposition and quote(f"台账-2024-Q1.{kind}") in disposition
    assert disposition.isascii()


def test_a_unit_token_gets_only_its_own_units_rows(reporting_client, auth, quzhou, units, filed):
    _, everything = ledger(reporting_client, auth("office"), quzhou.plan_id)
    _, own = ledger(reporting_client, units[TRANSPORT]["headers"], quzhou.plan_id)
    assert own == [r for r in everything if r["责任单位"] == TRANSPORT]
    assert 0 < len(own) < RESPONSIBILITIES


def test_a_unit_token_cannot_export_another_units_rows(reporting_client, quzhou, units):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/ledger.csv",
        params={"period": "2024-Q1", "unit_id": units[CULTURE]["unit_id"]},
        headers=units[TRANSPORT]["headers"],
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_the_office_narrows_the_export_to_one_unit(reporting_client, auth, quzhou, units):
    _, rows = ledger(reporting_client, auth("office"), quzhou.plan_id, unit_id=units[CULTURE]["unit_id"])
    assert rows and {r["责任单位"] for r in rows} == {CULTURE}


@pytest.mark.parametrize("role", ["viewer", "service", "admin"])
def test_viewers_services_and_admins_may_export(reporting_client, auth, quzhou, role):
    assert len(ledger(reporting_client, auth(role), quzhou.plan_id)[1]) == RESPONSIBILITIES


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_export_without_a_token_is_refused(reporting_client, quzhou, kind):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/ledger.{kind}", params={"period": "2024-Q1"})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_an_unknown_plan_is_not_found(reporting_client, auth, kind):
    response = reporting_client.get(
        f"/v1/plans/999999/ledger.{kind}", params={"period": "2024-Q1"}, headers=auth("office")
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize(
    "params", [{}, {"period": "2024-Q5"}, {"period": "2030-Q1"}], ids=["missing", "malformed", "outside-the-plan"]
)
def test_a_missing_or_bad_period_is_unprocessable(reporting_client, auth, quzhou, params):
    response = reporting_client.get(f"/v1/plans/{quzhou.plan_id}/ledger.xlsx", params=params, headers=auth("office"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM


def test_an_unknown_query_parameter_is_refused(reporting_client, auth, quzhou):
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/ledger.csv", params={"period": "2024-Q1", "as_of": 1}, headers=auth("office")
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


def test_a_ledger_over_the_row_bound_is_refused(reporting_client, auth, quzhou, monkeypatch):
    monkeypatch.setattr(service, "MAX_ROWS", RESPONSIBILITIES - 1)
    response = reporting_client.get(
        f"/v1/plans/{quzhou.plan_id}/ledger.csv", params={"period": "2024-Q1"}, headers=auth("office")
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_the_temporary_workbook_is_deleted_after_the_download(reporting_client, auth, quzhou, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    download(reporting_client, auth("office"), quzhou.plan_id)
    assert list(tmp_path.iterdir()) == []


# -- the plan's side, on its own ------------------------------------------------------------------


class BigPlan:
    """Stands in for tasks_api's client: a plan of `items` items, each with a lead, a co-operating unit and an
    indicator, every record validated from fresh values as if just decoded from JSON."""

    def __init__(self, items):
        self.items = items

    async def each_plan_assignment(self, plan_id):
        for n in range(2 * self.items):
            yield ASSIGNMENT_ROWS.validate(
                [
                    {
                        "id": n + 1,
                        "item_id": n // 2 + 1,
                        "unit_id": n % 300 + 1,
                        "unit_name": f"衢州市第{n % 300}局",
                        "role": "co" if n % 2 else "lead",
                    }
                ]
            )[0]

    async def each_plan_item(self, plan_id):
        for n in range(1, self.items + 1):
            yield Item.model_validate(
                {
                    "id": n,
                    "plan_id": plan_id,
                    "parent_id": None,
                    "key": f"T{n}",
                    "kind": "task",
                    "number": str(n),
                    "title": f"第{n}项：加快建设现代化综合交通网络",
                    "due_on": "2025-12-31",
                    "status": "in_progress",
                }
            )

    async def each_plan_indicator_label(self, plan_id):
        for n in range(1, self.items + 1):
            yield INDICATOR_LABEL_ROWS.validate(
                [
                    {
                        "id": n,
                        "item_id": n,
                        "key": f"T{n}-km",
                        "name": f"高速公路里程{n}",
                        "measure": "km",
                        "baseline": 100.0,
                        "target": 200.0,
                        "comparison": ">=",
                        "target_date": "2025-12-31",
                    }
                ]
            )[0]


def test_the_ledger_holds_under_a_kilobyte_of_plan_data_per_row():
    """The province plan's 100,000 rows as the peer's records took ~280 MB; the ledger keeps only what it writes."""
    tracemalloc.start()
    try:
        duties, _, _ = asyncio.run(service.read_plan_side(BigPlan(10_000), 1, None, owes=lambda item: True))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(duties) == 20_000
    assert held / len(duties) < 1000, f"{held / len(duties):.0f} bytes a row"


# -- the writers, on their own --------------------------------------------------------------------


async def synthetic_batches(count, size=1000):
    row = [
        "T9",
        "9",
        "加快建设现代化综合交通网络" * 2,
        "重点任务",
        TRANSPORT,
        "牵头",
        "2024-Q1",
        "已报送",
        "是",
        0,
        60,
        "正常推进",
        PROGRESS * 4,
        "资金缺口较大",
        "加快推进",
        "高速公路里程: 120 km (2024-06-30)",
        "请补充",
        "2024-07-01 09:30",
        "通车证明.pdf；现场照片.jpg",
    ]
    for start in range(0, count, size):
        yield [[f"K{n}", *row[1:9], n, *row[10:]] for n in range(start, min(count, start + size))]


def test_the_csv_writer_streams_a_chunk_per_batch():
    async def chunks():
        return [chunk async for chunk in csv_stream(HEADERS, synthetic_batches(25, size=10))]

    found = asyncio.run(chunks())
    assert len(found) == 1 + 3
    rows = list(csv.reader(io.StringIO(b"".join(found).decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADERS and len(rows) == 26 and rows[-1][0] == "K24"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_hundred_thousand_rows_are_written_within_a_bounded_heap():
    """A bound on memory, not on time: constant_memory flushes each row, so the heap stays small."""
    tracemalloc.start()
    try:
        path = asyncio.run(write_xlsx(HEADERS, synthetic_batches(100_000), title="台账"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    try:
        assert peak < 60 * 2**20, f"peak Python heap {peak / 2**20:.1f} MiB"
        book = openpyxl.load_workbook(path, read_only=True)
        rows = sum(1 for _ in book.active.iter_rows(values_only=True))
        book.close()
        assert rows == 100_001
    finally:
        path.unlink()
