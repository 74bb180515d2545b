"""Bulk review (批量审核): the office decides on many submitted reports in one request.

Each element is the single review (workflow.review_report) in its own transaction, with its If-Match (the element's
`etag`) and its compare-and-set: an element whose report changed since the office read it is refused with the 412
problem the single review answers, and the others go through. The request adds one row per plan it touched to the
plan's `bulk_review` history."""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel, ConfigDict, Field

from services.common.auth import Principal
from services.common.bulk import MAX_ELEMENTS, BulkResult, ElementId, each, record_bulk
from services.common.contracts.tasks import TasksClient
from services.common.db import Database
from services.common.etag import etag_for, expected_version
from services.common.problems import Unprocessable
from services.reporting_api.db import change_log
from services.reporting_api.reports import workflow
from services.reporting_api.reports.schemas import ReviewCreate

BULK_ENTITY = "bulk_review"  # the office's bulk reviews of a plan's reports, by plan id


class ReviewElement(ReviewCreate):
    """One report's review in a bulk review: which report, the ETag the office read it at, and the decision."""

    model_config = ConfigDict(extra="forbid")
    report_id: ElementId
    etag: str = Field(
        min_length=1,
        max_length=64,
        description="The report's ETag as the office read it (the single review's If-Match).",
    )


class ReviewBatch(BaseModel):
    """Many reviews at once (批量审核); each report at most once."""

    model_config = ConfigDict(extra="forbid")
    reviews: list[ReviewElement] = Field(
        min_length=1,
        max_length=MAX_ELEMENTS,
        description=f"The reviews, at most {MAX_ELEMENTS}, each in its own transaction.",
    )


def _refuse_repeats(batch: ReviewBatch) -> None:
    seen: set[int] = set()
    for n, review in enumerate(batch.reviews):
        if review.report_id in seen:
            raise Unprocessable(
                f"Report {review.report_id} is named twice; a bulk review decides on each report once.",
                at=("body", "reviews", n, "report_id"),
            )
        seen.add(review.report_id)


async def review_many(db: Database, tasks: TasksClient, *, batch: ReviewBatch, principal: Principal) -> BulkResult:
    """批量审核: every element as the single review would do it, each in its own transaction."""
    _refuse_repeats(batch)
    by_id = {review.report_id: review for review in batch.reviews}
    decided: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))  # plan → outcome → reports

    async def review(report_id: int) -> str:
        element = by_id[report_id]
        report = await workflow.review_report(
            db, tasks, report_id=report_id, review=element, version=expected_version(element.etag), principal=principal
        )
        decided[report["plan_id"]][report["status"]].append(report_id)
        return etag_for(report["version"])

    result = BulkResult.of(await each(by_id, review))
    if decided:
        async with db.transaction() as conn:
            for plan_id, outcomes in sorted(decided.items()):
                await record_bulk(
                    conn, change_log, entity=BULK_ENTITY, entity_id=plan_id, actor=principal.subject, did=outcomes
                )
    return result
