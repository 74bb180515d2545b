"""The item tree of a plan and what hangs on each item: responsibilities, indicators, milestones."""
