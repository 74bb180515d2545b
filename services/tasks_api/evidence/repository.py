"""The evidence table of tasks_api (services/common/evidence/table.py), with its history."""

from __future__ import annotations

from services.common.evidence.table import EvidenceRow
from services.common.records import Records
from services.tasks_api.db import change_log, evidence_files

evidence_records: Records[EvidenceRow] = Records(evidence_files, "evidence", change_log)
