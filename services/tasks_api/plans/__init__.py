"""Plans (行动计划): their registration, import and export."""
