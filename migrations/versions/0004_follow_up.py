"""Follow-up: action transitions, effectiveness checks, calendar feed tokens, reminder log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.Column("action_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_reminder_log_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_log")),
        sa.UniqueConstraint("user_id", "sent_on", name=op.f("uq_reminder_log_user_id")),
    )
    op.create_table(
        "action_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "verified",
                "cancelled",
                name="actionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "verified",
                "cancelled",
                name="actionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["action.id"], name=op.f("fk_action_transition_action_id_action"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_action_transition_actor_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_transition")),
    )
    with op.batch_alter_table("action_transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_transition_action_id"), ["action_id"], unique=False)

    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("effectiveness_checked_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("verification_evidence", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_user_calendar_token_hash"), ["calendar_token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_user_calendar_token_hash"), type_="unique")
        batch_op.drop_column("calendar_token_hash")

    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_column("started_at")
        batch_op.drop_column("verification_evidence")
        batch_op.drop_column("effectiveness_checked_on")

    with op.batch_alter_table("action_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_transition_action_id"))

    op.drop_table("action_transition")
    op.drop_table("reminder_log")
