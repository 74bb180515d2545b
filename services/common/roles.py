"""The roles of duban's callers: read by auth (tokens) and settings (the OIDC group-to-role mapping)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who the caller is to the supervision system."""

    ADMIN = "admin"  # everything
    OFFICE = "office"  # the leading-group office (领导小组办公室): manage plans, assign, review
    UNIT = "unit"  # a responsible unit (责任单位): writes only within its own responsibilities
    VIEWER = "viewer"  # read only
    SERVICE = "service"  # calls between services


# When a person's groups map to several roles, the first of these wins: the broadest grant the office made.
ROLE_PRECEDENCE = (Role.ADMIN, Role.OFFICE, Role.UNIT, Role.VIEWER)
