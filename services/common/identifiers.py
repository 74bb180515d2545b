"""Identifiers the services share; the contract publishes them as shared components (services/common/openapi.py)."""

# A reporting period: a year (2026), a half year (2026-H1) or a quarter (2026-Q1): 一季一梳理、半年一小结、一年一汇总.
PERIOD_PATTERN = r"^\d{4}(-Q[1-4]|-H[12])?$"
