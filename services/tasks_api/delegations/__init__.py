"""Delegation (转办): a responsible unit passes part of an item down to one of its sub-units."""
