"""Responsible units (责任单位): departments, counties, zones, enterprises and others."""
