"""Domain-level reads of the AI-usage tool tables, for the layers above ingest.

Everything above ingest reads domain tables only (an import contract in pyproject.toml); where
a figure needs a fact only a tool table holds, it asks here, in the words of what it means,
and the tool table stays this package's business.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from gaplens.directory.identities import IdentityResolver
from gaplens.directory.schemas import IdentityKind
from gaplens.telemetry.tools import M365UsageSnapshot


def m365_licence_holders(session: Session, as_of: dt.date) -> set[str]:
    """The people (ids) holding a Microsoft 365 Copilot licence by `as_of`, as its usage
    report shows them: the report lists every licensed user, active or not, so a person
    listed in any export refreshed by then held one. Matched by email (the report's UPN);
    a UPN the directory does not know is nobody's."""
    resolver = IdentityResolver.load(session, [IdentityKind.EMAIL])
    holders: set[str] = set()
    for upn in session.scalars(
        select(M365UsageSnapshot.upn).where(M365UsageSnapshot.refresh_date <= as_of).distinct()
    ):
        holder = resolver.by_value.get(upn.lower())
        if holder is not None:
            holders.add(holder)
    return holders
