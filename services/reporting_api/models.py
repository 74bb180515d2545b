"""Every reporting_api table, imported in one place so that Alembic and the tests see the whole metadata."""

from services.reporting_api.assessment.models import AssessmentAdjustment
from services.reporting_api.db import change_log, idempotency_keys, metadata
from services.reporting_api.instructions.models import Instruction, InstructionRead, InstructionReply, InstructionUnit
from services.reporting_api.periods.models import ClosedPeriod, DueDateOverride, PlanRules
from services.reporting_api.reports.models import MeasurementRecord, Report, ReportVersion, Transition

__all__ = [
    "AssessmentAdjustment",
    "ClosedPeriod",
    "DueDateOverride",
    "Instruction",
    "InstructionRead",
    "InstructionReply",
    "InstructionUnit",
    "MeasurementRecord",
    "PlanRules",
    "Report",
    "ReportVersion",
    "Transition",
    "change_log",
    "idempotency_keys",
    "metadata",
]
