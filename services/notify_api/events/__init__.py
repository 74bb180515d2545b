"""Event subscriptions of other municipal systems, and the events the other services emit."""
