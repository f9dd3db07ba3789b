"""Staff accounts as the API sees them: never a password or its hash.

`StaffRole` lives here, not in models.py, because adapters check roles and never import a
table module."""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, Field


class StaffRole(enum.StrEnum):
    ADMIN = "admin"
    """Manages surveys, imports and users; sees aggregates only, like everyone else."""
    LEADER = "leader"
    ANALYST = "analyst"


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: str = Field(min_length=3, max_length=320)
    display_name: str = Field(default="", max_length=200)
    role: StaffRole
    password: str = Field(min_length=12, max_length=1000)


class UserOut(BaseModel):
    id: int
    email: str
    display_name: str
    role: StaffRole
    active: bool
