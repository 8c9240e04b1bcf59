"""Row versions for optimistic locking; declared disaster time; last recovered data per system and drill.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("drill", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("disaster_declared_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("drill_system", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_data_at", sa.DateTime(), nullable=True))

    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("outage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))

    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("system", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("outage", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_column("version")

    with op.batch_alter_table("drill_system", schema=None) as batch_op:
        batch_op.drop_column("last_data_at")

    with op.batch_alter_table("drill", schema=None) as batch_op:
        batch_op.drop_column("disaster_declared_at")
        batch_op.drop_column("version")

    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_column("version")
