"""Reminders (催办): which deadlines need which notice as of a moment, and the outbox rows that carry them."""
