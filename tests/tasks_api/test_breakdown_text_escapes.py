"""Texts in the breakdown workbook as Excel writes them: a character XML cannot hold, or text that reads like such an
escape, is written `_xHHHH_` (OOXML's ST_Xstring), and the upload reads each back as the one character it names."""

import zipfile
from io import BytesIO

import xlsxwriter
from openpyxl import load_workbook

from services.tasks_api.plans.files.validation import parse_plan_file
from services.tasks_api.plans.workbook.breakdown import apply_rows
from services.tasks_api.plans.workbook.reading import read_workbook
from services.tasks_api.plans.workbook.workbook import write_workbook
from tests.conftest import QUZHOU_PLAN
from tests.tasks_api.test_breakdown_workbook import download, export, item, plan_id, row_of, upload  # noqa: F401

# A line break as Word and Windows write it, a control character, and texts that read like escapes.
AWKWARD = "第一行\r\n第二行\x01_x0041_ _x005F_ _xZZZZ_ x005F_"


def test_line_breaks_control_characters_and_escape_lookalikes_survive_the_round_trip():
    plan_file = parse_plan_file(QUZHOU_PLAN.read_bytes())
    task = next(item for item, _, _ in plan_file.walk() if item.key == "T9")
    task.title, task.text = "加快_x0000_建设", AWKWARD
    with write_workbook(plan_file) as file:
        assert apply_rows(plan_file, read_workbook(file.read()), []) == plan_file


def test_uploading_the_unchanged_workbook_of_such_texts_changes_nothing(tasks_client, auth, plan_id):  # noqa: F811
    # Until 2026-12-07 each round trip changed them: "\r" came back as "_x000D_", "_x0041_" as "_x005F_x0041_".
    task = item(tasks_client, auth, plan_id, "T9")
    etag = tasks_client.get(f"/v1/items/{task['id']}", headers=auth("viewer")).headers["etag"]
    patched = tasks_client.patch(
        f"/v1/items/{task['id']}", json={"text": AWKWARD}, headers=auth("office", **{"If-Match": etag})
    )
    assert patched.status_code == 200, patched.text
    response = upload(tasks_client, auth, plan_id, download(tasks_client, auth, plan_id).content)
    assert response.status_code == 200, response.text
    assert response.json()["counts"] == {}
    assert item(tasks_client, auth, plan_id, "T9")["text"] == AWKWARD


def saved_by_excel(content: bytes, key: str, text: str) -> bytes:
    """The workbook as Excel and WPS save it, every text in the shared string table (an export's are inline), with
    the text of item `key` replaced."""
    source, out = load_workbook(BytesIO(content)), BytesIO()
    options = {"strings_to_formulas": False, "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd"}
    book = xlsxwriter.Workbook(out, {"in_memory": True, **options})
    for sheet in source.worksheets:
        target = book.add_worksheet(sheet.title)
        for number, row in enumerate(sheet.iter_rows(values_only=True)):
            values = list(row)
            if sheet.title == "事项" and values[0] == key:
                values[5] = text  # 内容
            target.write_row(number, 0, values)
    book.close()
    return out.getvalue()


def test_a_workbook_saved_by_excel_reads_a_line_break_as_written(tasks_client, auth, plan_id):  # noqa: F811
    content = saved_by_excel(download(tasks_client, auth, plan_id).content, "T9", "第一行\r\n第二行")
    with zipfile.ZipFile(BytesIO(content)) as archive:
        assert b"_x000D_" in archive.read("xl/sharedStrings.xml")  # the carriage return, escaped as Excel writes it
    response = upload(tasks_client, auth, plan_id, content, **{"If-Match": "*"})
    assert response.status_code == 200, response.text
    assert item(tasks_client, auth, plan_id, "T9")["text"] == "第一行\r\n第二行"


def test_an_escaped_nul_is_refused_with_its_place_and_nothing_changes(tasks_client, auth, plan_id):  # noqa: F811
    before = export(tasks_client, auth, plan_id)
    title = item(tasks_client, auth, plan_id, "T9")["title"]
    content = download(tasks_client, auth, plan_id).content
    row = row_of(load_workbook(BytesIO(content))["事项"], "编号", "T9")
    out = BytesIO()
    with zipfile.ZipFile(BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info, data.replace(title.encode(), "加快_x0000_建设".encode()))
    response = upload(tasks_client, auth, plan_id, out.getvalue())
    assert response.status_code == 422, response.text
    assert [e["location"] for e in response.json()["errors"]] == [["事项", row, "标题"]]
    assert "NUL" in response.json()["errors"][0]["message"]
    assert export(tasks_client, auth, plan_id) == before
