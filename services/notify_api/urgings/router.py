"""HTTP route of bulk urging (批量催办)."""

from __future__ import annotations

from services.common.auth import Staff
from services.common.problems import problem_responses
from services.common.routing import api_router
from services.notify_api.deps import DatabaseDep, SettingsDep, TasksDep
from services.notify_api.urgings import service
from services.notify_api.urgings.schemas import UrgingCreate, UrgingOutcome

router = api_router("urgings")


@router.post(
    "/urgings",
    summary="Urge units about their items (批量催办), one notice per unit",
    description="The office names items (their responsible units are urged about them) and units (urged about "
    "every open item of theirs), with its words. Each unit gets one notice listing its items, on each of its "
    "enabled contacts, through the ordinary delivery (retries, attempts, read receipts), in its own transaction "
    "with its history row (/v1/history/urging/{unit_id}) and the notice.urged event. The answer has a result "
    "per unit, and one per item or unit named that could not be urged (with the problem). At most 500 items and "
    "units in all; one named twice counts once.",
    responses=problem_responses(503),
)
async def create_urging(
    data: UrgingCreate, db: DatabaseDep, settings: SettingsDep, tasks: TasksDep, principal: Staff
) -> UrgingOutcome:
    return await service.urge_many(db, tasks, data=data, principal=principal, base_url=settings.public_base_url)
