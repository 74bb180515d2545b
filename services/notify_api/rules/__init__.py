"""Reminder rules (催办规则): steps before a deadline, repeats after it, escalation, quiet hours, pauses."""
