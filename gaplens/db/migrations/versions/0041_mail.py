"""mail: survey invitations by email or Slack, on a schedule

Revision ID: 0041
Revises: 0035
Create Date: 2026-12-07

`mail_schedule` (one per survey), `mail_invitation` (who was sent an invitation, on which
day, and whether it arrived) and `mail_round` (each round's day and failures). No response
id, token, link hash or time finer than a day: nothing here joins to an answer
(docs/mail.md).
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mail_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("reminder_days", sa.JSON(), nullable=False),
        sa.Column("closing_reminder", sa.Boolean(), nullable=False),
        sa.Column("link_salt", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_mail_schedule_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_schedule")),
        sa.UniqueConstraint("survey_id", name=op.f("uq_mail_schedule_survey_id")),
    )
    op.create_table(
        "mail_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_mail_invitation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_mail_invitation_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_invitation")),
        sa.UniqueConstraint("survey_id", "person_id", name=op.f("uq_mail_invitation_survey_id")),
    )
    op.create_index(
        op.f("ix_mail_invitation_survey_id"), "mail_invitation", ["survey_id"], unique=False
    )
    op.create_table(
        "mail_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["survey.id"],
            name=op.f("fk_mail_round_survey_id_survey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_round")),
        sa.UniqueConstraint("survey_id", "kind", "step", name=op.f("uq_mail_round_survey_id")),
    )
    op.create_index(op.f("ix_mail_round_survey_id"), "mail_round", ["survey_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mail_round_survey_id"), table_name="mail_round")
    op.drop_table("mail_round")
    op.drop_index(op.f("ix_mail_invitation_survey_id"), table_name="mail_invitation")
    op.drop_table("mail_invitation")
    op.drop_table("mail_schedule")
