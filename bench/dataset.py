"""The benchmark data set, deterministic by seed: sizes, units, plan files and report history.

At scale 1 (issue 6): 50 plans, 100,000 items, 3,000 units, 300,000 responsibilities, 100,000 indicators,
1,000,000 progress reports with 2,000,000 indicator measurements, 200,000 pending deadlines (every item and
every indicator target is open and dated). Plan 1 is the province-wide plan: half of all items, two units
each, so it alone has 100,000 responsibilities (the 100,000-row ledger) and 1,000 pages of items; a few
coordinating units co-operate on all of its items, so a unit filter has deep pages too. The other plans
share the rest, four units an item.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from services.reporting_api.periods.calendar import schedule
from services.reporting_api.reports.history import PastMeasurement, PastReport
from services.reporting_api.reports.models import ReportStatus

PLAN_START, PLAN_END = date(2024, 1, 1), date(2026, 12, 31)
PERIODS = (
    "2024-Q1",
    "2024-H1",
    "2024-Q3",
    "2024",
)  # the due dates of a quarterly year, filled in order until the report count is reached
DUE_DAYS_AFTER_PERIOD = 10  # the reporting rules' default
COORDINATORS = 5  # units co-operating on every item of plan 1
SECTION_SIZE = 1000  # tasks per section
UNIT_KINDS = ("department", "department", "department", "county", "zone", "enterprise")


@dataclass(frozen=True, slots=True)
class Scale:
    """How much data a run generates; factor 1 is the issue's provincial scale."""

    factor: float
    plan_count: int | None = None  # more plans than the factor gives: each a smaller share of the tables

    def count(self, full: int, least: int) -> int:
        return max(least, round(full * self.factor))

    @property
    def plans(self) -> int:
        return self.plan_count or self.count(50, 2)

    @property
    def items(self) -> int:
        return self.count(100_000, 40)

    @property
    def units(self) -> int:
        return self.count(3_000, COORDINATORS + 5)

    @property
    def reports(self) -> int:
        return self.count(1_000_000, 60)

    @property
    def big_plan_items(self) -> int:
        return self.items // 2


def unit_name(n: int) -> str:
    return f"基准单位{n:05d}"


def unit_entries(scale: Scale) -> list[dict[str, Any]]:
    return [{"name": unit_name(n), "kind": UNIT_KINDS[n % len(UNIT_KINDS)]} for n in range(scale.units)]


def plan_sizes(scale: Scale) -> list[int]:
    """Items per plan: plan 1 holds half, the others share the rest evenly."""
    rest, others = scale.items - scale.big_plan_items, scale.plans - 1
    return [scale.big_plan_items] + [rest // others + (1 if n < rest % others else 0) for n in range(others)]


def plan_key(number: int) -> str:
    return f"bench-plan-{number:02d}"


def plan_file(scale: Scale, seed: int, number: int, size: int, units: list[dict[str, Any]]) -> dict[str, Any]:
    """Plan `number` (1-based) as plan-file data: sections of tasks, each item with units, an indicator, a due date."""
    rng = random.Random(f"{seed}:plan:{number}")
    names = [u["name"] for u in units]
    ordinary = names[COORDINATORS:]
    span = (PLAN_END - PLAN_START).days
    items: list[dict[str, Any]] = []
    sections = max(1, -(-size // (SECTION_SIZE + 1)))
    made = 0
    for _ in range(sections):
        children = []
        section_size = min(SECTION_SIZE + 1, size - made)
        for t in range(section_size):
            n = made + t
            duty = [ordinary[n % len(ordinary)], names[n % COORDINATORS]] if number == 1 else rng.sample(ordinary, 4)
            due_on = PLAN_START + timedelta(days=rng.randrange(span))
            entry = {
                "key": f"I{n}",
                "kind": "section" if t == 0 else "task",
                "number": str(n),
                "title": f"第{number}号计划事项{n}：推进重点工作",
                "status": "in_progress",
                "due_on": due_on,
                "units": duty,
                "indicators": [
                    {
                        "key": f"I{n}-x",
                        "name": f"指标{n}",
                        "measure": "%",
                        "target": 100.0,
                        "target_date": due_on + timedelta(days=30),
                    }
                ],
            }
            children.append(entry)
        made += section_size
        section, tasks = children[0], children[1:]
        items.append({**section, "children": tasks})
    return {
        "plan": {
            "key": plan_key(number),
            "title": f"基准测试行动计划{number:02d}",
            "starts_on": PLAN_START,
            "ends_on": PLAN_END,
            "status": "active",
        },
        "units": units,
        "items": items,
    }


# What the reports say (进展情况), one each: search (bench/search.py) finds a word in all of them, or in a few per cent.
PROGRESS = (
    "按计划推进，完成阶段目标。",
    "产业链招商项目有序推进，签约项目三个。",
    "生态环境整治持续开展，水质稳定达标。",
    "数字化改革应用上线运行，群众办事更便捷。",
    "交通基础设施建设加快，完成年度投资计划。",
    "长三角一体化合作深化，签订协议两项。",
    "营商环境优化提升，审批时限压缩一半。",
    "乡村振兴示范村建设完成验收。",
    "科技创新平台引进高层次人才五名。",
    "公共服务共建共享，异地就医结算开通。",
    "文化旅游融合发展，接待游客同比增长。",
    "农业产业化龙头企业培育取得进展。",
    "开发区能级提升，新增规上企业八家。",
    "污染防治攻坚战阶段任务完成。",
    "教育医疗资源合作办学项目落地。",
    "受疫情影响进度滞后，已制定赶超措施。",
)


@dataclass(frozen=True, slots=True)
class Duty:
    """A responsibility as the history generator needs it (ids from tasks_api after the import)."""

    plan_id: int
    item_id: int
    unit_id: int
    role: str
    indicator_id: int


def period_due_dates() -> dict[str, date]:
    return {s.period.id: s.due_on for s in schedule(PLAN_START, PLAN_END, DUE_DAYS_AFTER_PERIOD, {})}


def past_reports(scale: Scale, seed: int, duties: list[Duty]) -> Iterator[PastReport]:
    """`scale.reports` reports: every duty's report for each period in turn, until the count is reached."""
    due_dates, remaining = period_due_dates(), scale.reports
    for period in PERIODS:
        rng = random.Random(f"{seed}:reports:{period}")
        due = due_dates[period]
        period_end = due - timedelta(days=DUE_DAYS_AFTER_PERIOD)
        for duty in duties:
            if remaining == 0:
                return
            remaining -= 1
            yield _past_report(rng, duty, period, due, period_end)


def _past_report(rng: random.Random, duty: Duty, period: str, due: date, period_end: date) -> PastReport:
    roll = rng.random()
    status = ReportStatus.ACCEPTED if roll < 0.7 else ReportStatus.SUBMITTED if roll < 0.9 else ReportStatus.RETURNED
    submitted = datetime.combine(due + timedelta(days=rng.randint(-8, 3)), time(9), UTC)
    values = (
        PastMeasurement(duty.indicator_id, round(rng.uniform(0, 60), 2), period_end - timedelta(days=45)),
        PastMeasurement(duty.indicator_id, round(rng.uniform(40, 100), 2), period_end),
    )
    return PastReport(
        plan_id=duty.plan_id,
        item_id=duty.item_id,
        unit_id=duty.unit_id,
        period=period,
        role=duty.role,
        status=status,
        submitted_at=submitted,
        due_on=due,
        progress=PROGRESS[(duty.item_id + duty.unit_id) % len(PROGRESS)],
        percent_complete=rng.randint(10, 100),
        measurements=values,
        reviewed_by="bench-office",
        reviewed_at=submitted + timedelta(days=2),
        review_comment="请补充材料" if roll >= 0.9 else None,
    )
