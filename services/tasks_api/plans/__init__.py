"""Plans (行动计划): their registration; files/ imports and exports plan files, workbook/ is the breakdown table."""
