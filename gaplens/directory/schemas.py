"""The directory vocabulary every layer shares: role levels (with the spellings exports use)
and the kinds of identity other tools name a person by. A leaf (no tables), so connectors
can validate a role or name an identity kind without importing a table module."""

from __future__ import annotations

import enum


class RoleLevel(enum.StrEnum):
    EXECUTIVE = "executive"
    MANAGER = "manager"
    INDIVIDUAL_CONTRIBUTOR = "individual_contributor"


ROLE_LEVEL_ALIASES: dict[str, RoleLevel] = {
    "executive": RoleLevel.EXECUTIVE,
    "exec": RoleLevel.EXECUTIVE,
    "manager": RoleLevel.MANAGER,
    "individual_contributor": RoleLevel.INDIVIDUAL_CONTRIBUTOR,
    "individual contributor": RoleLevel.INDIVIDUAL_CONTRIBUTOR,
    "ic": RoleLevel.INDIVIDUAL_CONTRIBUTOR,
}


class IdentityKind(enum.StrEnum):
    EMAIL = "email"
    GITHUB = "github"
    JIRA = "jira"
    ZENDESK = "zendesk"
    SERVICENOW = "servicenow"
