"""reporting_api: reporting periods, progress reports and their review, roll-ups, assessment, exports."""
