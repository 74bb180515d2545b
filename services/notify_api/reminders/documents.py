"""The overdue bulletin as an official document (督办通报, .docx): the items in red on a day, with their units and
unmet deadlines, issued by the plan's leading-group office."""

from __future__ import annotations

from services.common.documents import OfficialDocument, Table, chinese_date, ordinal_heading
from services.notify_api.reminders.schemas import BulletinItemRow, BulletinView

COLUMNS = ("序号", "编号", "事项", "牵头单位", "配合单位", "逾期节点", "逾期工作日")


def bulletin_document(view: BulletinView, *, issuer: str, number: str | None) -> OfficialDocument:
    day, plan = chinese_date(view["date"]), view["plan_title"]
    if view["count"]:
        opening = (
            f"截至{day}，《{plan}》中有{view['count']}项工作逾期未完成，现予通报。"
            "请各牵头单位对照逾期节点抓紧推进，配合单位积极协同，及时报送进展情况。"
        )
    else:
        opening = f"截至{day}，《{plan}》无逾期未完成事项。"
    rows = [_row(index, item) for index, item in enumerate(view["items"], start=1)]
    return OfficialDocument(
        issuer=issuer,
        number=number,
        title=f"关于{plan}逾期事项的督办通报",
        issued_on=view["date"],
        body=(opening,),
        tables=(Table(ordinal_heading(1, "逾期事项"), COLUMNS, rows),) if rows else (),
    )


def _row(index: int, item: BulletinItemRow) -> tuple[str, ...]:
    def units(role: str) -> str:
        return "、".join(unit["unit_name"] for unit in item["units"] if unit["role"] == role) or "—"

    deadlines = "；".join(f"{due['title']}（{chinese_date(due['due_on'])}）" for due in item["deadlines"])
    most = max((due["workdays_overdue"] for due in item["deadlines"]), default=0)
    return (str(index), item["item_number"], item["item_title"], units("lead"), units("co"), deadlines, str(most))
