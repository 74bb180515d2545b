"""HTTP routes for responsibilities, acknowledgements (签收), extensions (延期) and deadlines."""

from services.common.routing import api_router

router = api_router("assignments")
