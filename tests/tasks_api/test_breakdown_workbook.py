"""The task breakdown table (任务分解表) as Excel: download, edit, upload."""

import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from io import BytesIO
from threading import Barrier

import pytest
from openpyxl import Workbook, load_workbook

from services.tasks_api.plans.files.validation import parse_plan_file
from services.tasks_api.plans.workbook import reading, workbook
from services.tasks_api.plans.workbook.breakdown import apply_rows
from services.tasks_api.plans.workbook.reading import read_workbook
from services.tasks_api.plans.workbook.workbook import write_workbook
from services.tasks_api.targets.models import Comparison
from tests.conftest import QUZHOU_PLAN, plan_id_of

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PROBLEM = "application/problem+json"
HEADERS = {
    "事项": ["编号", "上级编号", "类型", "序号", "标题", "内容", "状态", "开始日期", "完成时限"],
    "责任分工": ["事项编号", "责任单位", "角色", "顺序"],
    "指标": ["指标编号", "事项编号", "名称", "计量单位", "基期值", "目标值", "比较", "目标日期", "年度目标"],
    "节点": ["事项编号", "节点名称", "完成时限"],
}


def download(client, auth, plan_id):
    response = client.get(f"/v1/plans/{plan_id}/breakdown.xlsx", headers=auth("viewer"))
    assert response.status_code == 200, response.text
    return response


def workbook_of(content):
    return load_workbook(BytesIO(content))


def data_rows(sheet):
    return [row for row in sheet.iter_rows(min_row=2, values_only=True) if any(v is not None for v in row)]


def row_of(sheet, column, value):
    """The Excel row number of the first row whose `column` (header) holds `value`."""
    index = [c.value for c in sheet[1]].index(column) + 1
    return next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, index).value == value)


def set_cell(sheet, row, column, value):
    sheet.cell(row, [c.value for c in sheet[1]].index(column) + 1, value)


def bytes_of(book):
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, auth, plan_id, content, role="office", content_type=XLSX, params=None, **headers):
    return client.put(
        f"/v1/plans/{plan_id}/breakdown",
        content=content,
        params=params,
        headers=auth(role, unit_id=1 if role == "unit" else None, **{"Content-Type": content_type, **headers}),
    )


@pytest.fixture
def plan_id(tasks_client, auth):
    """The Quzhou plan, imported into the empty database of tasks_client."""
    response = tasks_client.post(
        "/v1/plans/import",
        content=QUZHOU_PLAN.read_bytes(),
        headers=auth("office", **{"Content-Type": "application/yaml"}),
    )
    assert response.status_code == 200, response.text
    return plan_id_of(tasks_client, auth)


def item(client, auth, plan_id, key):
    found = client.get(f"/v1/plans/{plan_id}/items", params={"limit": 500}, headers=auth("viewer")).json()["data"]
    item_id = next(i["id"] for i in found if i["key"] == key)
    return client.get(f"/v1/items/{item_id}", headers=auth("viewer")).json()


def indicators(client, auth, item_id):
    found = client.get(f"/v1/items/{item_id}/indicators", headers=auth("viewer")).json()["data"]
    return {i["key"]: i for i in found}


def export(client, auth, plan_id):
    return client.get(f"/v1/plans/{plan_id}/export", headers=auth("viewer")).json()


# -- download ---------------------------------------------------------------------------------------


def test_breakdown_workbook_has_the_four_sheets_with_chinese_headers(quzhou_client, auth, quzhou_plan_id):
    book = workbook_of(download(quzhou_client, auth, quzhou_plan_id).content)
    assert book.sheetnames == list(HEADERS)
    for name, headers in HEADERS.items():
        assert [c.value for c in book[name][1]] == headers


def test_breakdown_workbook_has_a_row_for_every_item_responsibility_and_indicator(quzhou_client, auth, quzhou_plan_id):
    book = workbook_of(download(quzhou_client, auth, quzhou_plan_id).content)
    assert len(data_rows(book["事项"])) == 105
    assert len(data_rows(book["责任分工"])) == 256
    assert len(data_rows(book["指标"])) == 32
    assert [row[0] for row in data_rows(book["节点"])] == ["KW7"]


def test_breakdown_workbook_keeps_the_chinese_text_and_task_9s_road_targets(quzhou_client, auth, quzhou_plan_id):
    book = workbook_of(download(quzhou_client, auth, quzhou_plan_id).content)
    items = {row[0]: row for row in data_rows(book["事项"])}
    assert items["T24"][2] == "重点任务"
    assert items["T24"][4] == "打造“最多跑一次”改革升级版"
    duties = [row for row in data_rows(book["责任分工"]) if row[0] == "SA1"]
    assert [(unit, role) for _, unit, role, _ in duties][:2] == [("市发改委", "牵头"), ("市铁道中心", "配合")]
    task9 = {row[0]: row for row in data_rows(book["指标"]) if row[1] == "T9"}
    assert task9["T9-expressway-km"][5] == 298
    assert task9["T9-road-density"][3] == "km/100km²"
    assert task9["T9-expressway-km"][7] == datetime(2025, 12, 31)  # noqa: DTZ001 - openpyxl reads a date cell naive


def test_breakdown_workbook_has_bold_frozen_headers_and_real_dates(quzhou_client, auth, quzhou_plan_id):
    sheet = workbook_of(download(quzhou_client, auth, quzhou_plan_id).content)["事项"]
    assert sheet["A1"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["E"].width >= 30
    due = sheet.cell(row_of(sheet, "编号", "T9"), 9)
    assert due.is_date and due.number_format == "yyyy-mm-dd"


def test_breakdown_workbook_is_an_attachment_named_after_the_plan(quzhou_client, auth, quzhou_plan_id):
    response = download(quzhou_client, auth, quzhou_plan_id)
    assert response.headers["content-type"] == XLSX
    assert response.headers["content-disposition"] == 'attachment; filename="quzhou-yrd-2019-2025-breakdown.xlsx"'


def test_breakdown_download_needs_a_token(quzhou_client, quzhou_plan_id):
    response = quzhou_client.get(f"/v1/plans/{quzhou_plan_id}/breakdown.xlsx")
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def test_breakdown_download_of_an_unknown_plan_is_404(quzhou_client, auth):
    response = quzhou_client.get("/v1/plans/999999/breakdown.xlsx", headers=auth("viewer"))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


# -- upload -----------------------------------------------------------------------------------------

NO_CHANGES = {"added": [], "changed": [], "removed": []}


def test_uploading_the_unchanged_workbook_changes_nothing(tasks_client, auth, plan_id):
    downloaded = download(tasks_client, auth, plan_id)
    response = upload(tasks_client, auth, plan_id, downloaded.content)
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {}
    assert response.json()["diff"] == {
        "items": NO_CHANGES,
        "responsibilities": NO_CHANGES,
        "indicators": NO_CHANGES,
        "milestones": NO_CHANGES,
    }
    assert response.headers["etag"] == downloaded.headers["etag"]


def test_an_edited_title_target_and_new_indicator_are_exactly_what_changes(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    set_cell(book["事项"], row_of(book["事项"], "编号", "T9"), "标题", "加快建设现代综合交通体系")
    indicators_sheet = book["指标"]
    set_cell(indicators_sheet, row_of(indicators_sheet, "指标编号", "T9-expressway-km"), "目标值", 310)
    indicators_sheet.append(
        ["T9-airport-routes", "T9", "机场航线数", "条", 10, 30, ">=", date(2025, 12, 31), "2024:20; 2025:30"]
    )
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"item.updated": 1, "indicator.updated": 1, "indicator.created": 1}
    task = item(tasks_client, auth, plan_id, "T9")
    assert task["title"] == "加快建设现代综合交通体系"
    found = indicators(tasks_client, auth, task["id"])
    assert found["T9-expressway-km"]["target"] == 310
    assert found["T9-airport-routes"] == {
        **found["T9-airport-routes"],
        "name": "机场航线数",
        "baseline": 10,
        "target": 30,
        "target_date": "2025-12-31",
    }
    assert found["T9-airport-routes"]["yearly_targets"] in ({"2024": 20, "2025": 30}, {2024: 20, 2025: 30})


def test_a_bad_date_and_an_unknown_unit_are_both_reported_and_nothing_is_applied(tasks_client, auth, plan_id):
    before = export(tasks_client, auth, plan_id)
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    date_row = row_of(book["事项"], "编号", "T9")
    set_cell(book["事项"], date_row, "标题", "改了但不该生效")
    set_cell(book["事项"], date_row, "完成时限", "明年年底")
    unit_row = row_of(book["责任分工"], "事项编号", "T24")
    set_cell(book["责任分工"], unit_row, "责任单位", "市不存在局")
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    errors = response.json()["errors"]
    assert [(e["location"], e["line"]) for e in errors] == [
        (["事项", date_row, "完成时限"], date_row),
        (["责任分工", unit_row, "责任单位"], unit_row),
    ]
    assert "市不存在局" in errors[1]["message"]
    assert export(tasks_client, auth, plan_id) == before


@pytest.mark.parametrize("role", ["unit", "viewer", "service"])
def test_only_staff_may_upload_a_breakdown(tasks_client, auth, plan_id, role):
    response = upload(tasks_client, auth, plan_id, download(tasks_client, auth, plan_id).content, role=role)
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_breakdown_upload_needs_a_token(tasks_client, plan_id):
    response = tasks_client.put(f"/v1/plans/{plan_id}/breakdown", content=b"x", headers={"Content-Type": XLSX})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def test_bytes_that_are_not_a_workbook_are_422(tasks_client, auth, plan_id):
    response = upload(tasks_client, auth, plan_id, b"PK\x03\x04 this is not really a zip at all")
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert "xlsx" in response.json()["detail"]


def test_a_zip_that_is_not_a_workbook_is_422(tasks_client, auth, plan_id):
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "你好")
    response = upload(tasks_client, auth, plan_id, out.getvalue())
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


def test_a_workbook_sent_as_json_is_415(tasks_client, auth, plan_id):
    response = upload(
        tasks_client, auth, plan_id, download(tasks_client, auth, plan_id).content, content_type="application/json"
    )
    assert response.status_code == 415
    assert response.headers["content-type"] == PROBLEM


def test_upload_to_an_unknown_plan_is_404(tasks_client, auth, plan_id):
    response = upload(tasks_client, auth, 999999, download(tasks_client, auth, plan_id).content)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_a_missing_sheet_and_a_wrong_header_are_named(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    del book["节点"]
    book["指标"]["C1"] = "指标名称"
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [e["location"] for e in response.json()["errors"]] == [["指标", 1], ["节点"]]


def test_a_workbook_over_the_row_bound_is_refused(tasks_client, auth, plan_id, monkeypatch):
    content = download(tasks_client, auth, plan_id).content
    monkeypatch.setattr(reading, "MAX_ROWS", 100)  # the plan has 256 responsibilities
    response = upload(tasks_client, auth, plan_id, content)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tasks_client, auth, plan_id, monkeypatch):
    monkeypatch.setattr(reading, "MAX_UNPACKED_BYTES", 1024**2)
    packed = BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr("xl/worksheets/sheet1.xml", b"0" * (4 * 1024**2))  # 4 MiB of zeros in a few KiB
    assert len(packed.getvalue()) < 64 * 1024
    response = upload(tasks_client, auth, plan_id, packed.getvalue(), **{"If-Match": "*"})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_a_plan_over_the_row_bound_is_not_handed_out_as_a_workbook(tasks_client, auth, plan_id, monkeypatch):
    monkeypatch.setattr(workbook, "MAX_ROWS", 100)
    response = tasks_client.get(f"/v1/plans/{plan_id}/breakdown.xlsx", headers=auth("viewer"))
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


def test_a_new_item_row_adds_the_item_under_its_parent_with_its_units(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    book["事项"].append(["T9.1", "T9", "重点任务", "9.1", "建设衢州机场迁建工程", "", "进行中", None, "2024-06-30"])
    book["责任分工"].append(["T9.1", "市交通运输局", "牵头", 1])
    book["责任分工"].append(["T9.1", "衢州绿色产业集聚区", "配合", 2])  # an alias of 绿色产业集聚区
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 200, response.text
    added, parent = item(tasks_client, auth, plan_id, "T9.1"), item(tasks_client, auth, plan_id, "T9")
    assert (added["parent_id"], added["status"], added["due_on"]) == (parent["id"], "open", "2024-06-30")
    assert [(r["unit_name"], r["role"]) for r in added["responsibilities"]] == [
        ("市交通运输局", "lead"),
        ("绿色产业集聚区", "co"),
    ]


def test_a_unit_known_only_to_the_database_can_be_made_responsible(tasks_client, auth, plan_id):
    unit = {"name": "市机场集团", "kind": "enterprise", "aliases": ["衢州机场集团"]}
    created = tasks_client.post("/v1/units", json=unit, headers=auth("office"))
    assert created.status_code == 201, created.text
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    book["责任分工"].append(["T9", "衢州机场集团", "配合", 99])
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"responsibility.created": 1}
    assert item(tasks_client, auth, plan_id, "T9")["responsibilities"][-1]["unit_name"] == "市机场集团"


def test_the_units_of_a_listed_item_are_exactly_the_workbooks(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    duties = book["责任分工"]
    sa1 = [r for r in range(2, duties.max_row + 1) if duties.cell(r, 1).value == "SA1"]
    duties.delete_rows(next(r for r in sa1 if duties.cell(r, 2).value == "市铁道中心"))
    response = upload(tasks_client, auth, plan_id, bytes_of(book), params={"confirm_removals": "true"})
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"responsibility.deleted": 1, "responsibility.updated": 3}
    assert [r["unit_name"] for r in item(tasks_client, auth, plan_id, "SA1")["responsibilities"]] == [
        "市发改委",
        "市交通运输局",
        "市水利局",
        "市资源规划局",
    ]


def test_an_item_with_two_lead_units_is_refused(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    row = row_of(book["责任分工"], "责任单位", "市铁道中心")
    set_cell(book["责任分工"], row, "角色", "牵头")
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == [["责任分工", row, "角色"]]


def test_rows_of_an_item_not_listed_on_the_item_sheet_are_refused(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    book["事项"].delete_rows(row_of(book["事项"], "编号", "T9"))
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {e["location"][0] for e in errors} == {"责任分工", "指标"}
    assert all("T9 is not listed" in e["message"] for e in errors)


def test_moving_an_item_under_its_own_descendant_is_refused(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    row = row_of(book["事项"], "编号", "T1")
    set_cell(book["事项"], row, "上级编号", "P1")  # P1 hangs under T1
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == [["事项", row, "上级编号"]]


def test_an_item_moved_to_another_parent_is_moved(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    set_cell(book["事项"], row_of(book["事项"], "编号", "P2"), "上级编号", "T2")
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 200, response.text
    assert item(tasks_client, auth, plan_id, "P2")["parent_id"] == item(tasks_client, auth, plan_id, "T2")["id"]


def hand_made_workbook():
    book = Workbook()
    book.remove(book.active)
    for name, headers in HEADERS.items():
        book.create_sheet(name).append(headers)
    return book


def test_invalid_cells_name_their_sheet_row_and_column(tasks_client, auth, plan_id):
    book = hand_made_workbook()
    book["事项"].append(["bad key!", None, "愿景", None, None])
    book["指标"].append(["T9-x", "T9", "某指标", None, "很多", 1, "~", date(2025, 1, 1), "2025=1"])
    book["节点"].append(["T9", "开工", None])
    response = upload(tasks_client, auth, plan_id, bytes_of(book), **{"If-Match": "*"})
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == [
        ["事项", 2, "类型"],
        ["事项", 2, "标题"],
        ["事项", 2, "编号"],
        ["指标", 2, "基期值"],
        ["指标", 2, "比较"],
        ["指标", 2, "年度目标"],
        ["节点", 2, "完成时限"],
    ]


def test_a_misspelled_role_on_the_lead_row_is_the_only_error(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    row = row_of(book["责任分工"], "事项编号", "T24")
    set_cell(book["责任分工"], row, "角色", "主办")
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 422
    assert [e["location"] for e in response.json()["errors"]] == [["责任分工", row, "角色"]]
    assert "牵头" in response.json()["errors"][0]["message"]


def test_text_that_looks_like_a_formula_and_the_equal_comparison_survive_the_round_trip():
    plan_file = parse_plan_file(QUZHOU_PLAN.read_bytes())
    task = next(item for item, _, _ in plan_file.walk() if item.key == "T9")
    task.title, task.number = "=SUM(A1:A9)", "9"
    task.indicators[0].comparison = Comparison.EQUAL
    with write_workbook(plan_file) as file:
        assert apply_rows(plan_file, read_workbook(file.read()), []) == plan_file


def test_the_cells_of_a_row_are_typed_for_exactly_the_fields_of_the_sheets_columns():
    fields = {column.field for columns in workbook.SHEETS.values() for column in columns}
    assert reading.Cells.__optional_keys__ == fields


# -- versions, dry runs and removals ----------------------------------------------------------------


def etag_of(client, auth, plan_id):
    return download(client, auth, plan_id).headers["etag"]


def retitle_through_the_api(client, auth, plan_id, key, title):
    item_id = item(client, auth, plan_id, key)["id"]
    etag = client.get(f"/v1/items/{item_id}", headers=auth("viewer")).headers["etag"]
    response = client.patch(f"/v1/items/{item_id}", json={"title": title}, headers=auth("office", **{"If-Match": etag}))
    assert response.status_code == 200, response.text


def without_unit(book, key, unit):
    duties = book["责任分工"]
    duties.delete_rows(
        next(
            r
            for r in range(2, duties.max_row + 1)
            if duties.cell(r, 1).value == key and duties.cell(r, 2).value == unit
        )
    )
    return book


def test_the_workbook_records_the_version_it_was_exported_from(tasks_client, auth, plan_id):
    response = download(tasks_client, auth, plan_id)
    properties = {p.name: p.value for p in workbook_of(response.content).custom_doc_props}
    assert response.headers["etag"] == f'"{properties["duban-breakdown-version"]}"'


def test_a_workbook_exported_before_a_change_through_the_api_is_refused_and_changes_nothing(
    tasks_client, auth, plan_id
):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    set_cell(book["事项"], row_of(book["事项"], "编号", "T24"), "标题", "改在旧表上")
    retitle_through_the_api(tasks_client, auth, plan_id, "T9", "加快建设现代综合交通体系")
    before = export(tasks_client, auth, plan_id)
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 412
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["etag"] == etag_of(tasks_client, auth, plan_id)
    assert export(tasks_client, auth, plan_id) == before


def test_the_same_workbook_cannot_be_applied_twice(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    set_cell(book["事项"], row_of(book["事项"], "编号", "T9"), "标题", "加快建设现代综合交通体系")
    assert upload(tasks_client, auth, plan_id, bytes_of(book)).status_code == 200
    assert upload(tasks_client, auth, plan_id, bytes_of(book)).status_code == 412


def test_the_upload_answers_with_the_version_the_next_download_has(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    set_cell(book["事项"], row_of(book["事项"], "编号", "T9"), "标题", "加快建设现代综合交通体系")
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == f'"{response.json()["version"]}"' == etag_of(tasks_client, auth, plan_id)


def test_a_hand_made_workbook_without_a_version_needs_if_match(tasks_client, auth, plan_id):
    book = hand_made_workbook()
    book["事项"].append(["T9", None, "重点任务", "9", "加快建设现代综合交通体系", "", "进行中", None, None])
    before = export(tasks_client, auth, plan_id)
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 428
    assert response.headers["content-type"] == PROBLEM
    assert export(tasks_client, auth, plan_id) == before


def test_a_hand_made_workbook_with_the_current_etag_is_applied(tasks_client, auth, plan_id):
    book = hand_made_workbook()
    book["事项"].append(["P99", "T9", "重点支撑平台", "", "衢州综合交通枢纽", "", "进行中", None, None])
    response = upload(tasks_client, auth, plan_id, bytes_of(book), **{"If-Match": etag_of(tasks_client, auth, plan_id)})
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"item.created": 1}


def test_an_if_match_of_an_older_version_is_refused(tasks_client, auth, plan_id):
    downloaded = download(tasks_client, auth, plan_id)
    retitle_through_the_api(tasks_client, auth, plan_id, "T9", "加快建设现代综合交通体系")
    hand_made = bytes_of(hand_made_workbook())
    assert upload(tasks_client, auth, plan_id, hand_made, **{"If-Match": downloaded.headers["etag"]}).status_code == 412
    assert upload(tasks_client, auth, plan_id, hand_made, **{"If-Match": '"0"'}).status_code == 412


def test_if_match_of_the_current_version_does_not_revive_an_old_workbook(tasks_client, auth, plan_id):
    old = download(tasks_client, auth, plan_id).content
    retitle_through_the_api(tasks_client, auth, plan_id, "T9", "加快建设现代综合交通体系")
    response = upload(tasks_client, auth, plan_id, old, **{"If-Match": etag_of(tasks_client, auth, plan_id)})
    assert response.status_code == 412


def test_a_dry_run_returns_the_diff_and_writes_nothing(tasks_client, auth, plan_id):
    book = without_unit(workbook_of(download(tasks_client, auth, plan_id).content), "SA1", "市铁道中心")
    set_cell(book["事项"], row_of(book["事项"], "编号", "T9"), "标题", "加快建设现代综合交通体系")
    set_cell(book["指标"], row_of(book["指标"], "指标编号", "T9-expressway-km"), "目标值", 310)
    book["指标"].append(["T9-airport-routes", "T9", "机场航线数", "条", 10, 30, ">=", date(2025, 12, 31), None])
    task, before = item(tasks_client, auth, plan_id, "T9"), export(tasks_client, auth, plan_id)
    expressway = indicators(tasks_client, auth, task["id"])["T9-expressway-km"]
    response = upload(tasks_client, auth, plan_id, bytes_of(book), params={"dry_run": "true"})
    assert response.status_code == 200, response.text
    assert export(tasks_client, auth, plan_id) == before
    body = response.json()
    assert (body["dry_run"], body["counts"]) == (True, {})
    task9 = {"key": "T9", "number": task["number"], "title": "加快建设现代综合交通体系"}
    assert body["diff"]["items"] == {
        **NO_CHANGES,
        "changed": [
            {**task9, "changes": [{"field": "title", "before": task["title"], "after": "加快建设现代综合交通体系"}]}
        ],
    }
    assert body["diff"]["indicators"]["changed"] == [
        {
            "item": task9,
            "key": "T9-expressway-km",
            "name": expressway["name"],
            "changes": [{"field": "target", "before": expressway["target"], "after": 310}],
        }
    ]
    assert [i["key"] for i in body["diff"]["indicators"]["added"]] == ["T9-airport-routes"]
    duties = body["diff"]["responsibilities"]
    assert [(d["item"]["key"], d["unit"], d["role"], d["order"]) for d in duties["removed"]] == [
        ("SA1", "市铁道中心", "co", 2)
    ]
    assert (duties["changed"][0]["unit"], duties["changed"][0]["changes"]) == (
        "市交通运输局",
        [{"field": "order", "before": 3, "after": 2}],
    )


def test_an_upload_that_removes_something_is_refused_without_confirmation(tasks_client, auth, plan_id):
    book = without_unit(workbook_of(download(tasks_client, auth, plan_id).content), "SA1", "市铁道中心")
    before = export(tasks_client, auth, plan_id)
    response = upload(tasks_client, auth, plan_id, bytes_of(book))
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM
    assert [(e["location"], e["message"]) for e in response.json()["errors"]] == [
        (["责任分工", "SA1", "市铁道中心"], "responsibility of 市铁道中心 for item SA1 would be removed")
    ]
    assert export(tasks_client, auth, plan_id) == before


def test_an_indicator_left_out_is_removed_only_with_confirmation(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    book["指标"].delete_rows(row_of(book["指标"], "指标编号", "T9-expressway-km"))
    assert upload(tasks_client, auth, plan_id, bytes_of(book)).status_code == 409
    response = upload(tasks_client, auth, plan_id, bytes_of(book), params={"confirm_removals": "true"})
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {"indicator.deleted": 1}
    assert "T9-expressway-km" not in indicators(tasks_client, auth, item(tasks_client, auth, plan_id, "T9")["id"])


def test_the_history_shows_the_changes_an_upload_applied(tasks_client, auth, plan_id):
    book = workbook_of(download(tasks_client, auth, plan_id).content)
    set_cell(book["事项"], row_of(book["事项"], "编号", "T9"), "标题", "加快建设现代综合交通体系")
    task = item(tasks_client, auth, plan_id, "T9")
    assert upload(tasks_client, auth, plan_id, bytes_of(book)).status_code == 200
    history = tasks_client.get(f"/v1/history/item/{task['id']}", headers=auth("office")).json()["data"]
    assert (history[-1]["action"], history[-1]["actor"]) == ("update", "test-office-0")
    assert history[-1]["changes"]["title"] == [task["title"], "加快建设现代综合交通体系"]


def retitled(book, round_, title):
    """T9 with another title; its key."""
    set_cell(book["事项"], row_of(book["事项"], "编号", "T9"), "标题", title)
    return "T9", bytes_of(book)


def with_new_item(book, round_, title):
    """A new platform under T9, the same key in both uploads of a round; its key."""
    book["事项"].append([f"P9{round_}", "T9", "重点支撑平台", "", title, "", "进行中", None, None])
    content = bytes_of(book)
    book["事项"].delete_rows(book["事项"].max_row)
    return f"P9{round_}", content


@pytest.mark.parametrize("edit", [retitled, with_new_item])
def test_of_two_uploads_from_the_same_export_at_the_same_moment_exactly_one_applies(tasks_client, auth, plan_id, edit):
    for round_ in range(3):
        book = workbook_of(download(tasks_client, auth, plan_id).content)
        titles = [f"第{round_}轮甲", f"第{round_}轮乙"]
        (key, first), (_, second) = (edit(book, round_, title) for title in titles)
        start = Barrier(2)

        def send(content, start=start):
            start.wait()
            return upload(tasks_client, auth, plan_id, content)

        with ThreadPoolExecutor(2) as pool:
            statuses = [r.status_code for r in pool.map(send, [first, second])]
        assert sorted(statuses) == [200, 412]
        assert item(tasks_client, auth, plan_id, key)["title"] == titles[statuses.index(200)]
