"""Urgings (批量催办): the office urges units about their items, one notice per unit."""
