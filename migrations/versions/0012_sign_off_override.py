"""A sign-off keeps the approver's reason for signing with items of the readiness checklist still open;
a submission sent back keeps who sent it back, when and why, for the editors to read on the drill.

Added in place (ALTER TABLE ... ADD COLUMN on both engines), so the append-only triggers on
sign_off stay as they are; earlier sign-offs get an empty reason.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sign_off", sa.Column("override_reason", sa.String(), nullable=False, server_default=""))
    op.add_column("drill_review", sa.Column("returned_at", sa.DateTime(), nullable=True))
    op.add_column("drill_review", sa.Column("returned_by", sa.String(length=200), nullable=False, server_default=""))
    op.add_column("drill_review", sa.Column("return_reason", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    for column in ("return_reason", "returned_by", "returned_at"):
        op.drop_column("drill_review", column)
    op.drop_column("sign_off", "override_reason")
