"""tasks_api: plans, their item tree, units, leaders, groups, responsibilities, indicators, milestones."""
