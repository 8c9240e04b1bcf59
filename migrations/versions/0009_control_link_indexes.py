"""Index the control links by control: control pages, the dashboard and coverage read them that way round.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TABLES = ("drill_control", "finding_control", "action_control", "evidence_control")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_control_id", table, ["control_id"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_control_id", table_name=table)
