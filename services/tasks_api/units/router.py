"""HTTP routes for units (责任单位) and the items each is responsible for."""

from services.common.routing import api_router

router = api_router("units")
