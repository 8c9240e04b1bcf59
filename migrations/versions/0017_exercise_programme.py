"""The exercise programme: a drill says which scenarios it exercises (failover, failback, restore with an
integrity check, cyber-attack, loss of a site or a supplier, crisis communication) and which plans it
tests; a system says how often it must be failed over (empty: yearly).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("drill", sa.Column("scenarios", sa.String(length=300), nullable=False, server_default=""))
    op.add_column("drill", sa.Column("plans", sa.String(length=500), nullable=False, server_default=""))
    op.add_column("system", sa.Column("test_interval_months", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("system", "test_interval_months")
    op.drop_column("drill", "plans")
    op.drop_column("drill", "scenarios")
