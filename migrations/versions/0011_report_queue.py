"""Report jobs become a queue shared by every node; the evidence and finding lists read an index in their order.

`node` names the server whose worker claimed the job, so each server runs at most its share of
renders at once; `content_key` identifies the content a report shows, so asking again for a report
on content that has not changed reuses the PDF already issued.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("report_job") as batch:
        batch.add_column(sa.Column("node", sa.String(length=100), nullable=False, server_default=""))
        batch.add_column(sa.Column("content_key", sa.String(length=64), nullable=False, server_default=""))
        batch.add_column(sa.Column("reused", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_report_job_status", ["status"])
        batch.create_index("ix_report_job_content_key", ["content_key"])
    op.create_index("ix_evidence_uploaded_at_id", "evidence", ["uploaded_at", "id"])
    op.create_index("ix_finding_newest", "finding", [sa.text("coalesce(detected_at, created_at)"), "id"])


def downgrade() -> None:
    op.drop_index("ix_finding_newest", table_name="finding")
    op.drop_index("ix_evidence_uploaded_at_id", table_name="evidence")
    with op.batch_alter_table("report_job") as batch:
        batch.drop_index("ix_report_job_content_key")
        batch.drop_index("ix_report_job_status")
        batch.drop_column("reused")
        batch.drop_column("content_key")
        batch.drop_column("node")
