"""HTTP routes of tasks_api's evidence: POST/GET /v1/closeouts/{closeout_id}/evidence, and /v1/evidence/{evidence_id}
(its record, its bytes, its deletion). Another owner is one more loader in `owners` and one more `owner_routes`."""

from __future__ import annotations

from functools import partial

from services.common.evidence.routes import EvidenceStoreDep, evidence_routes, owner_routes
from services.common.evidence.service import Evidence, EvidenceAccess
from services.common.routing import api_router
from services.tasks_api.deps import DatabaseDep, PrincipalDep, SettingsDep
from services.tasks_api.evidence.repository import evidence_records
from services.tasks_api.evidence.service import CLOSEOUT, closeout_owner

router = api_router("evidence")


async def tasks_evidence(
    db: DatabaseDep, settings: SettingsDep, store: EvidenceStoreDep, principal: PrincipalDep
) -> EvidenceAccess:
    owners = {CLOSEOUT: partial(closeout_owner, db)}
    return EvidenceAccess(Evidence(db, store, evidence_records, settings.evidence_max_bytes), principal, owners)


owner_routes(router, tasks_evidence, kind=CLOSEOUT, parameter="closeout_id", path="/closeouts/{closeout_id}/evidence")
evidence_routes(router, tasks_evidence)
