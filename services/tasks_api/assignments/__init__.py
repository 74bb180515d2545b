"""Assignments (交办): responsibilities and their acknowledgement (签收), deadline extensions (延期), deadlines."""
