"""HTTP routes for the Excel task breakdown table (任务分解表)."""

from services.common.routing import api_router

router = api_router("breakdown")
