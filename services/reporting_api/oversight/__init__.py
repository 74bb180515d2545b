"""Oversight (督查): compliance, roll-ups, traffic lights and indicator progress of a plan and period.

The rules are pure functions over plain data (compliance.py, lights.py, indicators.py, rollups.py);
service.py gathers that data from the reports and from tasks_api, so that a closed period can freeze
the very same output in its snapshot.
"""
