"""Register of issued reports (append-only) and render jobs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "issued_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("drill", "controls", "actions", name="reportkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=400), nullable=False),
        sa.Column("subject", sa.String(length=100), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=True),
        sa.Column("signed_content_sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_by", sa.String(length=254), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_issued_report_drill_id_drill"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["user.id"], name=op.f("fk_issued_report_issued_by_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_report")),
    )
    with op.batch_alter_table("issued_report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_report_sha256"), ["sha256"], unique=True)
        batch_op.create_index(batch_op.f("ix_issued_report_subject"), ["subject"], unique=False)

    op.create_table(
        "report_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("drill", "controls", "actions", name="reportkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("params", sa.String(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("queued", "running", "done", "failed", name="jobstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.String(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["issued_report.id"], name=op.f("fk_report_job_report_id_issued_report"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["user.id"], name=op.f("fk_report_job_requested_by_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_job")),
    )

    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER issued_report_no_{event.lower()} BEFORE {event} ON issued_report "
                "BEGIN SELECT RAISE(ABORT, 'the register of issued reports is append-only'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER issued_report_append_only BEFORE UPDATE OR DELETE ON issued_report FOR EACH ROW "
            "EXECUTE FUNCTION drillbook_refuse('the register of issued reports is append-only')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER issued_report_no_update")
        op.execute("DROP TRIGGER issued_report_no_delete")
    else:
        op.execute("DROP TRIGGER issued_report_append_only ON issued_report")
    op.drop_table("report_job")
    with op.batch_alter_table("issued_report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_report_subject"))
        batch_op.drop_index(batch_op.f("ix_issued_report_sha256"))

    op.drop_table("issued_report")
