"""The event catalogue: every event type the services publish, its version, payload model and example.

Producers write an event's data into their outbox (services/common/outbox.py); notify_api delivers it to the
subscriptions as a Standard Webhooks message (`WebhookMessage`). The catalogue is in common because the three
contracts declare it (OpenAPI `webhooks`) and `GET /v1/event-types` lists it.
"""
