"""notify_api: deadlines, reminder rules, reliable delivery to webhooks, e-mail and group robots, calendars."""
