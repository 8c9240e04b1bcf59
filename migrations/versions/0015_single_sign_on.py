"""Single sign-on: a person may be vouched for by an identity provider (its issuer and their subject
there, unique together); a sign-off records how the signer proved who they were just before signing;
a signature waiting for the approver's fresh sign-in at the provider is kept as a sign request.

Sign-off columns are added in place (ALTER TABLE ... ADD COLUMN on both engines), so the append-only
triggers on sign_off stay as they are; earlier sign-offs were all signed with the password re-entered.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("user", sa.Column("sso_issuer", sa.String(length=500), nullable=True))
    op.add_column("user", sa.Column("sso_subject", sa.String(length=255), nullable=True))
    op.create_index("uq_user_sso_identity", "user", ["sso_issuer", "sso_subject"], unique=True)
    op.add_column(
        "sign_off", sa.Column("identity_check", sa.String(length=20), nullable=False, server_default="password")
    )
    op.add_column("sign_off", sa.Column("identity_issuer", sa.String(length=500), nullable=False, server_default=""))
    op.add_column("sign_off", sa.Column("identity_subject", sa.String(length=255), nullable=False, server_default=""))
    op.add_column("sign_off", sa.Column("identity_auth_time", sa.DateTime(), nullable=True))
    op.create_table(
        "sign_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("drill_id", sa.Integer(), sa.ForeignKey("drill.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("statement", sa.String(), nullable=False),
        sa.Column("override", sa.String(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_sign_request_drill_id", "sign_request", ["drill_id"])


def downgrade() -> None:
    op.drop_table("sign_request")
    for column in ("identity_auth_time", "identity_subject", "identity_issuer", "identity_check"):
        op.drop_column("sign_off", column)
    op.drop_index("uq_user_sso_identity", "user")
    op.drop_column("user", "sso_subject")
    op.drop_column("user", "sso_issuer")
