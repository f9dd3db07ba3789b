"""copilot user-day features as rows

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-01

`copilot_user_day_feature` holds each user-day's `totals_by_feature` as plain columns, so the
scorecard sums them in SQL. Existing user-days are backfilled from their stored JSON here,
with the parser the scorecard used until now (frozen in this file: a migration must not
change behaviour when the application's code does later).
"""

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None

COUNTS = ("interactions", "generations", "acceptances", "loc_suggested", "loc_added")
REPORT_NAMES = {
    "interactions": "user_initiated_interaction_count",
    "generations": "code_generation_activity_count",
    "acceptances": "code_acceptance_activity_count",
    "loc_suggested": "loc_suggested_to_add_sum",
    "loc_added": "loc_added_sum",
}
PAGE = 5000


def upgrade() -> None:
    op.create_table(
        "copilot_user_day_feature",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("user_login", sa.String(length=100), nullable=False),
        sa.Column("feature", sa.String(length=64), nullable=False),
        sa.Column("interactions", sa.BigInteger(), nullable=False),
        sa.Column("generations", sa.BigInteger(), nullable=False),
        sa.Column("acceptances", sa.BigInteger(), nullable=False),
        sa.Column("loc_suggested", sa.BigInteger(), nullable=False),
        sa.Column("loc_added", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "user_login", "feature", name=op.f("pk_copilot_user_day_feature")
        ),
        sqlite_with_rowid=False,
    )
    backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("copilot_user_day_feature")


def backfill(connection: sa.Connection) -> int:
    """Feature rows for every stored user-day with features, a page at a time."""
    days = sa.table(
        "copilot_user_day",
        sa.column("day", sa.Date()),
        sa.column("user_login", sa.String()),
        sa.column("features", sa.Text()),
    )
    features = sa.table(
        "copilot_user_day_feature",
        sa.column("day", sa.Date()),
        sa.column("user_login", sa.String()),
        sa.column("feature", sa.String()),
        *(sa.column(name, sa.BigInteger()) for name in COUNTS),
    )
    written = 0
    after: tuple[Any, str] | None = None
    while True:
        query = (
            sa.select(days.c.day, days.c.user_login, days.c.features)
            .where(days.c.features.is_not(None))
            .order_by(days.c.day, days.c.user_login)
            .limit(PAGE)
        )
        if after is not None:
            query = query.where(sa.tuple_(days.c.day, days.c.user_login) > after)
        page = connection.execute(query).all()
        if not page:
            return written
        rows = [
            {"day": day, "user_login": login, "feature": name, **counts}
            for day, login, text in page
            for name, counts in feature_entries(text)
        ]
        if rows:
            connection.execute(features.insert(), rows)
            written += len(rows)
        after = (page[-1][0], page[-1][1])


def feature_entries(text: str | None) -> Iterator[tuple[str, dict[str, int]]]:
    """(feature, its five counts) from a stored `totals_by_feature`: the connector's object
    keyed by feature with short count names, or the report's list of objects with a
    `feature` key and its own count names (preferred when both are present). Only a positive
    whole number counts (not a bool, a float or a string); anything unreadable is skipped,
    as the scorecard skipped it. Names are cut to 64 characters, as the connector cuts them."""
    if not text:
        return
    try:
        data = json.loads(text)
    except ValueError:
        return
    named: Any
    if type(data) is dict:
        named = data.items()
    elif type(data) is list:
        named = ((e.get("feature") if type(e) is dict else None, e) for e in data)
    else:
        return
    seen: dict[str, dict[str, int]] = {}
    for name, entry in named:
        if type(entry) is not dict or type(name) is not str:
            continue
        counts = seen.setdefault(name[:64], dict.fromkeys(COUNTS, 0))
        for short in COUNTS:
            value = entry.get(REPORT_NAMES[short], entry.get(short))
            if type(value) is int and value > 0:
                counts[short] += value
    yield from seen.items()
