"""One example payload per event type, as a subscriber receives it (checked against the models by the tests)."""

from __future__ import annotations

from services.common.json import JsonObject

_REPORT: JsonObject = {
    "report_id": 4127,
    "plan_id": 1,
    "item_id": 37,
    "item_number": "（三）1",
    "item_title": "推进杭衢高铁建设",
    "unit_id": 12,
    "unit_name": "市发改委",
    "role": "lead",
    "period": "2026-Q1",
    "report_type": "quarterly",
    "submission": 1,
    "due_on": "2026-04-10",
}
_ITEM: JsonObject = {
    "plan_id": 1,
    "item_id": 37,
    "item_key": "3.1",
    "item_number": "（三）1",
    "item_title": "推进杭衢高铁建设",
    "item_due_on": "2026-12-31",
    "item_status": "open",
}
_CLOSEOUT: JsonObject = {
    **_ITEM,
    "closeout_id": 88,
    "unit_id": 12,
    "unit_name": "市发改委",
    "closed_on": None,
    "reason": None,
    "actor": "unit-12",
}
_REVIEW: JsonObject = {"reviewed_by": "office", "score": None}

EXAMPLES: dict[str, JsonObject] = {
    "report.submitted": {
        **_REPORT,
        "status": "submitted",
        "submitted_by": "unit-12",
        "submitted_at": "2026-04-09T02:15:00Z",
        "late": False,
        "days_late": 0,
    },
    "report.accepted": {**_REPORT, "status": "accepted", **_REVIEW, "comment": "同意。"},
    "report.returned": {**_REPORT, "status": "returned", **_REVIEW, "comment": "请补充资金到位情况。"},
    "report.withdrawn": {**_REPORT, "status": "draft", "withdrawn_by": "unit-12", "comment": "补充附件后重报。"},
    "report.reopened": {**_REPORT, "status": "draft", "reopened_by": "office", "reason": "指标值填写有误。"},
    "item.assigned": {
        **_ITEM,
        "responsibility_id": 301,
        "unit_id": 12,
        "unit_name": "市发改委",
        "role": "lead",
        "assigned_at": "2026-01-05T01:00:00Z",
    },
    "deadline.extended": {
        **_ITEM,
        "item_due_on": "2027-03-31",
        "extension_id": 17,
        "milestone_id": None,
        "unit_id": 12,
        "unit_name": "市发改委",
        "previous_due_on": "2026-12-31",
        "due_on": "2027-03-31",
        "decided_by": "office",
        "decided_at": "2026-11-20T06:30:00Z",
    },
    "item.closeout_requested": _CLOSEOUT,
    "item.closed": {**_CLOSEOUT, "item_status": "closed", "closed_on": "2026-12-03", "actor": "office"},
    "item.closeout_refused": {**_CLOSEOUT, "reason": "验收材料不全。", "actor": "office"},
    "item.reopened": {**_CLOSEOUT, "closeout_id": None, "reason": "审计发现遗留问题。", "actor": "office"},
    "notice.escalated": {
        "plan_id": 1,
        "plan_title": "衢州市推进长三角一体化发展行动计划",
        "item_id": 37,
        "item_number": "（三）1",
        "item_title": "推进杭衢高铁建设",
        "deadline_kind": "item",
        "deadline_id": 37,
        "deadline_title": "推进杭衢高铁建设",
        "period": None,
        "due_on": "2025-12-31",
        "days_overdue": 8,
        "workdays_overdue": 5,
        "official_calendar": True,
        "role": None,
        "units": [{"unit_id": 12, "unit_name": "市发改委", "role": "lead"}],
        "level": "red",
        "step": "escalated-5",
        "notice_on": "2026-01-08",
        "link": "https://duban.quzhou.gov.cn/plans/1/items/37",
        "items": [],
        "unit_id": 12,
        "lead_leader_ids": [3],
    },
    "notice.urged": {
        "urging_id": "6f1c2b0e9d4a4c57b1e3a2f08c9d7e51",
        "unit_id": 12,
        "unit_name": "市发改委",
        "plan_id": 1,
        "item_id": 37,
        "items": [
            {"item_id": 37, "plan_id": 1, "item_number": "（三）1", "item_title": "推进杭衢高铁建设", "role": "lead"}
        ],
        "message": "请于本周五前报送进展情况。",
        "urged_by": "office",
        "urged_at": "2026-12-04T02:00:00Z",
        "notifications": 1,
    },
}
