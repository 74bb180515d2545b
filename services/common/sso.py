"""Single sign-on: the city's identity provider says who a person is, duban's settings say what they may do here.

The issuer's token names the person's groups and department code (claims chosen by `oidc_groups_claim` and
`oidc_department_claim`); `oidc_group_roles` maps groups to duban roles and `oidc_department_units` maps department
codes to unit ids. Units have no external code column: the unit id in settings is the one stable link, and the
office keeps the mapping beside the units it creates (a renamed unit keeps its id). A signed, current token whose
groups map to no role, or a unit role whose department maps to no unit, is a person duban knows but may not serve:
403 with a stable code, never a guess.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from services.common.problems import Forbidden
from services.common.roles import ROLE_PRECEDENCE, Role
from services.common.settings import ServiceSettings

logger = logging.getLogger("duban.auth")


class NoMappedGroup(Forbidden):
    slug = "no-mapped-group"


class UnknownDepartment(Forbidden):
    slug = "unknown-department"


@dataclass(frozen=True, slots=True)
class ClaimsMapping:
    """From an issuer's claims to duban's role and unit."""

    groups_claim: str
    department_claim: str
    group_roles: Mapping[str, Role]
    department_units: Mapping[str, int]

    @classmethod
    def of(cls, settings: ServiceSettings) -> ClaimsMapping | None:
        """The configured mapping, or None when the issuer's tokens carry duban's own role claims."""
        if not settings.oidc_group_roles:
            return None
        return cls(
            groups_claim=settings.oidc_groups_claim,
            department_claim=settings.oidc_department_claim,
            group_roles=dict(settings.oidc_group_roles),
            department_units=dict(settings.oidc_department_units),
        )

    def role_and_unit(self, subject: str, claims: Mapping[str, object]) -> tuple[Role, int | None]:
        """The broadest role the person's groups map to, and for a unit role the unit of their department; or 403."""
        groups = _groups(claims.get(self.groups_claim))
        granted = {self.group_roles[group] for group in groups if group in self.group_roles}
        role = next((r for r in ROLE_PRECEDENCE if r in granted), None)
        if role is None:
            logger.info("SSO: %s has no group mapped to a role (claim %s)", subject, self.groups_claim)
            raise NoMappedGroup(
                "None of your groups in the city's sign-on (统一身份认证) is given a role in duban (督办系统). "
                "Ask the supervision office (督查室) to grant your group access."
            )
        if role is not Role.UNIT:
            return role, None
        code = claims.get(self.department_claim)
        unit_id = self.department_units.get(code) if isinstance(code, str) else None
        if unit_id is None:
            logger.info("SSO: %s has unmapped department %r (claim %s)", subject, code, self.department_claim)
            raise UnknownDepartment(
                f"Your department code ({self.department_claim} = {str(code)[:64]!r}) is not linked to a unit "
                "(责任单位) in duban (督办系统), so a unit role cannot be given. Ask the supervision office (督查室) "
                "to link your department."
            )
        return role, unit_id


def _groups(value: object) -> list[str]:
    """The groups of a claim: a JSON list of names, or one name (some issuers send a lone group as a string)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [group for group in value if isinstance(group, str)]
    return []
