"""Assignments (交办): responsibilities and their acknowledgement (签收)."""
