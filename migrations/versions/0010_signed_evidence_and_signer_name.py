"""Evidence joins the freeze, a sign-off keeps its signer's name, issued reports keep their manifest's hash.

No evidence file may be added to a signed drill, or to a finding of one, nor may the controls of
such evidence change; until now only the evidence row's own columns were guarded. A sign-off
records the signer's name as well as their title, so renaming the person later changes nothing
in what was signed.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SIGNED = "part of a drill signed and frozen; amend it as a new revision"
#: the drill an evidence row (NEW or OLD) belongs to, directly or through its finding, is signed
_EVIDENCE_SIGNED = (
    "((SELECT status FROM drill WHERE id = {ref}.drill_id) = 'signed'"
    " OR (SELECT d.status FROM drill d JOIN finding f ON f.drill_id = d.id WHERE f.id = {ref}.finding_id) = 'signed')"
)
_LINK_SIGNED = (
    "((SELECT d.status FROM drill d JOIN evidence e ON e.drill_id = d.id WHERE e.id = {ref}.evidence_id) = 'signed'"
    " OR (SELECT d.status FROM drill d JOIN finding f ON f.drill_id = d.id JOIN evidence e ON e.finding_id = f.id"
    " WHERE e.id = {ref}.evidence_id) = 'signed')"
)


def _sqlite() -> list[str]:
    refuse = f"BEGIN SELECT RAISE(ABORT, '{SIGNED}'); END"
    sql = [
        f"CREATE TRIGGER evidence_signed_no_insert BEFORE INSERT ON evidence WHEN {_EVIDENCE_SIGNED.format(ref='NEW')} {refuse}"
    ]
    for event, when in (
        ("INSERT", _LINK_SIGNED.format(ref="NEW")),
        ("UPDATE", f"{_LINK_SIGNED.format(ref='OLD')} OR {_LINK_SIGNED.format(ref='NEW')}"),
        ("DELETE", _LINK_SIGNED.format(ref="OLD")),
    ):
        sql.append(
            f"CREATE TRIGGER evidence_control_signed_no_{event.lower()} BEFORE {event} ON evidence_control WHEN {when} {refuse}"
        )
    return sql


def _postgresql() -> list[str]:
    return [
        f"""CREATE FUNCTION drillbook_refuse_if_evidence_signed() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF TG_TABLE_NAME = 'evidence' THEN
               IF {_EVIDENCE_SIGNED.format(ref="NEW")} THEN
                 RAISE EXCEPTION '{SIGNED}' USING ERRCODE = 'integrity_constraint_violation';
               END IF;
             ELSIF (TG_OP IN ('INSERT', 'UPDATE') AND {_LINK_SIGNED.format(ref="NEW")})
                OR (TG_OP IN ('UPDATE', 'DELETE') AND {_LINK_SIGNED.format(ref="OLD")}) THEN
               RAISE EXCEPTION '{SIGNED}' USING ERRCODE = 'integrity_constraint_violation';
             END IF;
             IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
             RETURN NEW;
           END $$""",
        "CREATE TRIGGER evidence_signed_no_insert BEFORE INSERT ON evidence FOR EACH ROW "
        "EXECUTE FUNCTION drillbook_refuse_if_evidence_signed()",
        "CREATE TRIGGER evidence_control_signed_frozen BEFORE INSERT OR UPDATE OR DELETE ON evidence_control FOR EACH ROW "
        "EXECUTE FUNCTION drillbook_refuse_if_evidence_signed()",
    ]


def _name_earlier_signers() -> None:
    """Sign-offs made before this revision get their signer's name as it stands now, past the append-only guard."""
    fill = 'UPDATE sign_off SET signer_name = (SELECT name FROM "user" WHERE "user".id = sign_off.signer_id)'
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER sign_off_no_update")
        op.execute(fill)
        op.execute(
            "CREATE TRIGGER sign_off_no_update BEFORE UPDATE ON sign_off BEGIN SELECT RAISE(ABORT, 'a sign-off never changes'); END"
        )
    else:
        op.execute("ALTER TABLE sign_off DISABLE TRIGGER sign_off_append_only")
        op.execute(fill)
        op.execute("ALTER TABLE sign_off ENABLE TRIGGER sign_off_append_only")


def upgrade() -> None:
    op.add_column("sign_off", sa.Column("signer_name", sa.String(length=200), nullable=False, server_default=""))
    _name_earlier_signers()
    op.add_column(
        "issued_report", sa.Column("manifest_sha256", sa.String(length=64), nullable=False, server_default="")
    )
    op.create_index("ix_issued_report_manifest_sha256", "issued_report", ["manifest_sha256"], unique=False)
    for statement in _sqlite() if op.get_bind().dialect.name == "sqlite" else _postgresql():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "evidence_signed_no_insert",
            *(f"evidence_control_signed_no_{e}" for e in ("insert", "update", "delete")),
        ):
            op.execute(f'DROP TRIGGER "{name}"')
    else:
        op.execute("DROP TRIGGER evidence_signed_no_insert ON evidence")
        op.execute("DROP TRIGGER evidence_control_signed_frozen ON evidence_control")
        op.execute("DROP FUNCTION drillbook_refuse_if_evidence_signed()")
    op.drop_index("ix_issued_report_manifest_sha256", table_name="issued_report")
    op.drop_column("issued_report", "manifest_sha256")
    op.drop_column("sign_off", "signer_name")
