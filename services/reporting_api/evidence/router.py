"""HTTP routes of evidence: POST/GET /v1/reports/{report_id}/evidence, /v1/instructions/{instruction_id}/evidence
and /v1/instruction-replies/{reply_id}/evidence, and /v1/evidence/{evidence_id} (its record, its bytes, its
deletion)."""

from __future__ import annotations

from functools import partial

from services.common.evidence.routes import EvidenceStoreDep, evidence_routes, owner_routes
from services.common.evidence.service import Evidence, EvidenceAccess
from services.common.routing import api_router
from services.reporting_api.deps import DatabaseDep, PrincipalDep, SettingsDep, TasksDep
from services.reporting_api.evidence.instructions import INSTRUCTION, REPLY, instruction_owner, reply_owner
from services.reporting_api.evidence.repository import evidence_records
from services.reporting_api.evidence.service import KIND, report_owner

router = api_router("evidence")


async def evidence_access(
    db: DatabaseDep,
    tasks: TasksDep,
    settings: SettingsDep,
    store: EvidenceStoreDep,
    principal: PrincipalDep,
) -> EvidenceAccess:
    evidence = Evidence(db, store, evidence_records, settings.evidence_max_bytes)
    owners = {
        KIND: partial(report_owner, db, tasks),
        INSTRUCTION: partial(instruction_owner, db),
        REPLY: partial(reply_owner, db),
    }
    return EvidenceAccess(evidence, principal, owners)


owner_routes(router, evidence_access, kind=KIND, parameter="report_id", path="/reports/{report_id}/evidence")
INSTRUCTION_PATH = "/instructions/{instruction_id}/evidence"
owner_routes(router, evidence_access, kind=INSTRUCTION, parameter="instruction_id", path=INSTRUCTION_PATH)
owner_routes(router, evidence_access, kind=REPLY, parameter="reply_id", path="/instruction-replies/{reply_id}/evidence")
evidence_routes(router, evidence_access)
