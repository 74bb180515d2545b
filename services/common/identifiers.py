"""Identifiers the services share; the contract publishes them as shared components (services/common/openapi.py)."""

# A reporting period: a year (2026), a half year (2026-H1), a quarter (2026-Q1) or a month (2026-M01):
# 一季一梳理、半年一小结、一年一汇总, and monthly for the items whose cadence asks for it.
PERIOD_PATTERN = r"^\d{4}(-Q[1-4]|-H[12]|-M(0[1-9]|1[0-2]))?$"
