"""Change history of every tasks_api record."""
