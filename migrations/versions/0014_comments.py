"""Comments on drills, findings and actions: written once, never changed, frozen with a signed drill.

The database refuses any update or delete of a comment, and a new comment on a signed drill or one of
its findings; an action's comments go on after signing, as the action does.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SIGNED = "part of a drill signed and frozen; amend it as a new revision"
KEPT = "a comment is kept as written"
_ON_SIGNED = "NEW.action_id IS NULL AND (SELECT status FROM drill WHERE id = NEW.drill_id) = 'signed'"


def upgrade() -> None:
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("drill_id", sa.Integer(), sa.ForeignKey("drill.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("finding.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("action_id", sa.Integer(), sa.ForeignKey("action.id", ondelete="RESTRICT"), nullable=True),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("user.id", ondelete="RESTRICT"), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    for column in ("drill_id", "finding_id", "action_id"):
        op.create_index(f"ix_comment_{column}", "comment", [column])
    if op.get_bind().dialect.name == "sqlite":
        for statement in (
            f"CREATE TRIGGER comment_no_update BEFORE UPDATE ON comment BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
            f"CREATE TRIGGER comment_no_delete BEFORE DELETE ON comment BEGIN SELECT RAISE(ABORT, '{KEPT}'); END",
            f"CREATE TRIGGER comment_signed_no_insert BEFORE INSERT ON comment WHEN {_ON_SIGNED} "
            f"BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END",
        ):
            op.execute(statement)
    else:
        op.execute(
            f"""CREATE FUNCTION drillbook_refuse_comment_if_signed() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN
                 IF {_ON_SIGNED} THEN
                   RAISE EXCEPTION '{SIGNED}' USING ERRCODE = 'integrity_constraint_violation';
                 END IF;
                 RETURN NEW;
               END $$"""
        )
        op.execute(
            "CREATE TRIGGER comment_kept BEFORE UPDATE OR DELETE ON comment FOR EACH ROW "
            f"EXECUTE FUNCTION drillbook_refuse('{KEPT}')"
        )
        op.execute(
            "CREATE TRIGGER comment_signed_frozen BEFORE INSERT ON comment FOR EACH ROW "
            "EXECUTE FUNCTION drillbook_refuse_comment_if_signed()"
        )


def downgrade() -> None:
    op.drop_table("comment")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION drillbook_refuse_comment_if_signed()")
