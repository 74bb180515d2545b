"""Every notify_api table, imported in one place so that Alembic and the tests see the whole metadata."""

from services.notify_api.calendars.models import FeedToken
from services.notify_api.contacts.models import Contact
from services.notify_api.db import change_log, idempotency_keys, metadata
from services.notify_api.deliveries.models import DeliveryAttempt, Notification
from services.notify_api.dispatches.models import Dispatch
from services.notify_api.events.models import ReceivedEvent, Subscription
from services.notify_api.rules.models import Pause, ReminderRule

__all__ = [
    "Contact",
    "DeliveryAttempt",
    "Dispatch",
    "FeedToken",
    "Notification",
    "Pause",
    "ReceivedEvent",
    "ReminderRule",
    "Subscription",
    "change_log",
    "idempotency_keys",
    "metadata",
]
