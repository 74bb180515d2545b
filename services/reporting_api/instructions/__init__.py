"""Leader instructions (领导批示): an instruction on an item or a report, its thread, answer and read receipts."""
