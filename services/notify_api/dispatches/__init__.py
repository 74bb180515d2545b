"""Dispatch runs (派发): plan what is due as of a moment into the outbox (reminders), then deliver (deliveries)."""
