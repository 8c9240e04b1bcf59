"""Sign-off and freeze: revisions, review submissions, signed snapshots, and database triggers that refuse
changes to signed drills, evidence records and the audit trail.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drill_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("snapshot", sa.String(), nullable=False, server_default=""),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_drill_review_drill_id_drill"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["user.id"], name=op.f("fk_drill_review_submitted_by_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_review")),
    )
    with op.batch_alter_table("drill_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_review_drill_id"), ["drill_id"], unique=False)

    with op.batch_alter_table("drill", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("previous_revision_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("submitted_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_drill_previous_revision_id"), ["previous_revision_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_drill_submitted_by_id_user"), "user", ["submitted_by_id"], ["id"], ondelete="RESTRICT"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_drill_previous_revision_id_drill"),
            "drill",
            ["previous_revision_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("sign_off", schema=None) as batch_op:
        batch_op.add_column(sa.Column("snapshot", sa.String(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("signer_role", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("audit_head", sa.String(length=64), nullable=False, server_default=""))

    create_freeze_triggers()


def downgrade() -> None:
    drop_freeze_triggers()
    with op.batch_alter_table("sign_off", schema=None) as batch_op:
        batch_op.drop_column("audit_head")
        batch_op.drop_column("signer_role")
        batch_op.drop_column("snapshot")

    with op.batch_alter_table("drill", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_drill_previous_revision_id_drill"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_drill_submitted_by_id_user"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_drill_previous_revision_id"))
        batch_op.drop_column("submitted_at")
        batch_op.drop_column("submitted_by_id")
        batch_op.drop_column("previous_revision_id")
        batch_op.drop_column("revision")

    with op.batch_alter_table("drill_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drill_review_drill_id"))

    op.drop_table("drill_review")


#: tables whose rows belong to a drill through drill_id, frozen with it once it is signed
DRILL_CHILDREN = (
    "objective",
    "participant",
    "step",
    "outage",
    "finding",
    "drill_system",
    "drill_control",
    "drill_review",
)
#: tables whose rows belong to a finding, frozen with the finding's drill
FINDING_CHILDREN = ("finding_system", "finding_control")
#: columns of an evidence record that never change; only last_verified_at may
EVIDENCE_FIXED = (
    "sha256",
    "original_name",
    "size",
    "media_type",
    "description",
    "collected_on",
    "valid_until",
    "drill_id",
    "finding_id",
    "action_id",
    "supersedes_id",
    "uploaded_by_id",
    "uploaded_at",
)
SIGNED = "signed and frozen; amend it as a new revision"


def _sqlite_triggers() -> list[str]:
    refuse = "BEGIN SELECT RAISE(ABORT, '{msg}'); END"
    sql = [
        f"CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event {refuse.format(msg='the audit trail is append-only')}",
        f"CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event {refuse.format(msg='the audit trail is append-only')}",
        f"CREATE TRIGGER sign_off_no_update BEFORE UPDATE ON sign_off {refuse.format(msg='a sign-off never changes')}",
        f"CREATE TRIGGER sign_off_no_delete BEFORE DELETE ON sign_off {refuse.format(msg='a sign-off never changes')}",
        f"CREATE TRIGGER drill_signed_no_update BEFORE UPDATE ON drill WHEN OLD.status = 'signed' {refuse.format(msg='drill ' + SIGNED)}",
        f"CREATE TRIGGER drill_signed_no_delete BEFORE DELETE ON drill WHEN OLD.status = 'signed' {refuse.format(msg='drill ' + SIGNED)}",
        f"CREATE TRIGGER evidence_no_update BEFORE UPDATE OF {', '.join(EVIDENCE_FIXED)} ON evidence {refuse.format(msg='evidence is immutable; upload a new version')}",
        f"CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence {refuse.format(msg='evidence is immutable; upload a new version')}",
    ]
    signed = "(SELECT status FROM drill WHERE id = {ref}.drill_id) = 'signed'"
    for table in DRILL_CHILDREN:
        for event, ref in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            sql.append(
                f"CREATE TRIGGER {table}_signed_no_{event.lower()} BEFORE {event} ON {table} WHEN {signed.format(ref=ref)} "
                f"{refuse.format(msg='part of a drill ' + SIGNED)}"
            )
        sql.append(
            f"CREATE TRIGGER {table}_signed_no_move BEFORE UPDATE ON {table} WHEN {signed.format(ref='NEW')} "
            f"{refuse.format(msg='part of a drill ' + SIGNED)}"
        )
    via_finding = (
        "(SELECT d.status FROM drill d JOIN finding f ON f.drill_id = d.id WHERE f.id = {ref}.finding_id) = 'signed'"
    )
    for table in FINDING_CHILDREN:
        for event, ref in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD")):
            sql.append(
                f"CREATE TRIGGER {table}_signed_no_{event.lower()} BEFORE {event} ON {table} WHEN {via_finding.format(ref=ref)} "
                f"{refuse.format(msg='part of a drill ' + SIGNED)}"
            )
    return sql


def _postgresql_triggers() -> list[str]:
    sql = [
        """CREATE FUNCTION drillbook_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation'; END $$""",
        """CREATE FUNCTION drillbook_refuse_if_signed() RETURNS trigger LANGUAGE plpgsql AS $$
           DECLARE frozen boolean := false;
           BEGIN
             IF TG_OP IN ('UPDATE', 'DELETE') THEN
               frozen := frozen OR EXISTS (SELECT 1 FROM drill WHERE id = OLD.drill_id AND status = 'signed');
             END IF;
             IF TG_OP IN ('INSERT', 'UPDATE') THEN
               frozen := frozen OR EXISTS (SELECT 1 FROM drill WHERE id = NEW.drill_id AND status = 'signed');
             END IF;
             IF frozen THEN RAISE EXCEPTION 'part of a drill """
        + SIGNED
        + """' USING ERRCODE = 'integrity_constraint_violation'; END IF;
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
             RETURN NEW;
           END $$""",
        """CREATE FUNCTION drillbook_refuse_if_finding_signed() RETURNS trigger LANGUAGE plpgsql AS $$
           DECLARE fid integer;
           BEGIN
             IF TG_OP = 'DELETE' THEN fid := OLD.finding_id; ELSE fid := NEW.finding_id; END IF;
             IF EXISTS (SELECT 1 FROM drill d JOIN finding f ON f.drill_id = d.id WHERE f.id = fid AND d.status = 'signed')
                OR (TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM drill d JOIN finding f ON f.drill_id = d.id WHERE f.id = OLD.finding_id AND d.status = 'signed'))
             THEN RAISE EXCEPTION 'part of a drill """
        + SIGNED
        + """' USING ERRCODE = 'integrity_constraint_violation'; END IF;
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
             RETURN NEW;
           END $$""",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION drillbook_refuse('the audit trail is append-only')",
        "CREATE TRIGGER sign_off_append_only BEFORE UPDATE OR DELETE ON sign_off FOR EACH ROW EXECUTE FUNCTION drillbook_refuse('a sign-off never changes')",
        f"CREATE TRIGGER drill_signed_frozen BEFORE UPDATE OR DELETE ON drill FOR EACH ROW WHEN (OLD.status = 'signed') EXECUTE FUNCTION drillbook_refuse('drill {SIGNED}')",
        f"CREATE TRIGGER evidence_immutable BEFORE UPDATE OF {', '.join(EVIDENCE_FIXED)} ON evidence FOR EACH ROW EXECUTE FUNCTION drillbook_refuse('evidence is immutable; upload a new version')",
        "CREATE TRIGGER evidence_no_delete BEFORE DELETE ON evidence FOR EACH ROW EXECUTE FUNCTION drillbook_refuse('evidence is immutable; upload a new version')",
    ]
    sql += [
        f"CREATE TRIGGER {t}_signed_frozen BEFORE INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION drillbook_refuse_if_signed()"
        for t in DRILL_CHILDREN
    ]
    sql += [
        f"CREATE TRIGGER {t}_signed_frozen BEFORE INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION drillbook_refuse_if_finding_signed()"
        for t in FINDING_CHILDREN
    ]
    return sql


def create_freeze_triggers() -> None:
    """Below every code path, the database itself refuses to change what is signed or append-only."""
    dialect = op.get_bind().dialect.name
    for statement in _sqlite_triggers() if dialect == "sqlite" else _postgresql_triggers():
        op.execute(statement)


def drop_freeze_triggers() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for (name,) in bind.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            op.execute(f'DROP TRIGGER "{name}"')
        return
    tables = ("audit_event", "sign_off", "drill", "evidence") + DRILL_CHILDREN + FINDING_CHILDREN
    for table in tables:
        for (name,) in bind.exec_driver_sql(
            f"SELECT tgname FROM pg_trigger WHERE tgrelid = '{table}'::regclass AND NOT tgisinternal"
        ).fetchall():
            op.execute(f'DROP TRIGGER "{name}" ON "{table}"')
    for fn in ("drillbook_refuse", "drillbook_refuse_if_signed", "drillbook_refuse_if_finding_signed"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
