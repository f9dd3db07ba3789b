"""Directory tables. Person ids are deterministic (uuid5 of the work email) so re-imports match."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, Enum, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gaplens.db.base import Base
from gaplens.directory.schemas import IdentityKind, RoleLevel


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Team(Base):
    __tablename__ = "team"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    function: Mapped[str | None] = mapped_column(String(100))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"))
    external_id: Mapped[str | None] = mapped_column(String(200))
    """The identity provider's id for the group this team is (SCIM `externalId`)."""

    parent: Mapped[Team | None] = relationship(remote_side=[id], lazy="raise")


class Person(Base):
    __tablename__ = "person"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role_level: Mapped[RoleLevel] = mapped_column(
        Enum(
            RoleLevel, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]
        )
    )
    function: Mapped[str] = mapped_column(String(100))
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="RESTRICT"), index=True)
    ai_licence_date: Mapped[dt.date | None] = mapped_column(Date)
    ai_adoption_date: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """False once the identity provider deactivates the person (SCIM): no more invitations,
    but the row and everything it is linked to stay, so history keeps its people."""
    external_id: Mapped[str | None] = mapped_column(String(200))
    """The identity provider's id for the person (SCIM `externalId`), kept as it sent it."""
    user_name: Mapped[str | None] = mapped_column(String(320), unique=True)
    """The identity provider's sign-in name (SCIM `userName`, e.g. a UPN) when it is not the
    work email; None means it is the email."""
    language: Mapped[str | None] = mapped_column(String(64))
    """The language the person reads (a tag as the identity provider or the CSV gave it,
    e.g. `de-CH`): their invitations are sent in it when gaplens has it, else in the
    organisation's default (docs/mail.md). Directory data, never stored with an answer."""

    team: Mapped[Team] = relationship(lazy="raise")


class Identity(Base):
    """How another tool names a person (GitHub login, Jira account id, UPN/email)."""

    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdentityKind] = mapped_column(
        Enum(
            IdentityKind,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    value: Mapped[str] = mapped_column(String(320))
