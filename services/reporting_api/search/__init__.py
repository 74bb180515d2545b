"""Search (检索) over reporting_api's own text: the progress reports."""
