"""Search (检索) over tasks_api's own text: items and their indicators."""
