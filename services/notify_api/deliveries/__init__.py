"""The notification outbox, dispatches that fill it, and the delivery that empties it, reliably."""
