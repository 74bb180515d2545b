"""Deadlines: extension requests (延期申请) and their decisions, and everything due in a window."""
