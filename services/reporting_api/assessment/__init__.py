"""Closing periods (snapshots) and the annual comprehensive assessment (年度综合考核)."""
