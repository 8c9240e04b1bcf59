"""Statement of Applicability on each control: applicable, justification, implementation status.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("control", schema=None) as batch_op:
        batch_op.add_column(sa.Column("applicable", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("justification", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "implementation",
                sa.Enum("not_started", "partial", "implemented", name="implementation", native_enum=False, length=32),
                nullable=False,
                server_default="not_started",
            )
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("control", schema=None) as batch_op:
        batch_op.drop_column("version")
        batch_op.drop_column("implementation")
        batch_op.drop_column("justification")
        batch_op.drop_column("applicable")
