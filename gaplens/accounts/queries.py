"""Staff accounts as adapters read them: schemas, never the table rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.accounts.models import StaffUser
from gaplens.accounts.schemas import UserOut


def user_out(user: StaffUser) -> UserOut:
    return UserOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
    )


def staff_accounts(session: Session) -> list[UserOut]:
    """Every staff account, active or not, by email."""
    return [user_out(u) for u in session.scalars(select(StaffUser).order_by(StaffUser.email))]
