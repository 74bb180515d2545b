"""Plumbing shared by the three duban services: settings, database, auth, errors, paging."""
