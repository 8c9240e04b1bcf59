"""Initial schema: users, systems, drills, findings, actions, controls, evidence, sign-offs, audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "control",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column(
            "kind", sa.Enum("annex_a", "clause", name="controlkind", native_enum=False, length=32), nullable=False
        ),
        sa.Column("ref", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column(
            "theme",
            sa.Enum(
                "organizational", "people", "physical", "technological", name="theme", native_enum=False, length=32
            ),
            nullable=True,
        ),
        sa.Column("sort_key", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control")),
    )
    with op.batch_alter_table("control", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_control_code"), ["code"], unique=True)
        batch_op.create_index(batch_op.f("ix_control_sort_key"), ["sort_key"], unique=False)

    op.create_table(
        "drill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("tabletop", "functional", "full_scale", name="drillkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("planned", "running", "review", "signed", name="drillstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("scenario", sa.String(), nullable=False),
        sa.Column("primary_site", sa.String(length=200), nullable=False),
        sa.Column("recovery_site", sa.String(length=200), nullable=False),
        sa.Column("planned_start", sa.DateTime(), nullable=True),
        sa.Column("planned_end", sa.DateTime(), nullable=True),
        sa.Column("actual_start", sa.DateTime(), nullable=True),
        sa.Column("actual_end", sa.DateTime(), nullable=True),
        sa.Column("out_of_scope", sa.String(), nullable=False),
        sa.Column("record_notes", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill")),
    )
    op.create_table(
        "system",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("rto_minutes", sa.Integer(), nullable=True),
        sa.Column("rpo_minutes", sa.Integer(), nullable=True),
        sa.Column("mtd_minutes", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_system")),
        sa.UniqueConstraint("name", name=op.f("uq_system_name")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum("admin", "editor", "approver", "auditor", name="role", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("session_nonce", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_email"), ["email"], unique=True)

    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("before", sa.String(), nullable=False),
        sa.Column("after", sa.String(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_audit_event_actor_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    op.create_table(
        "drill_control",
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["control_id"], ["control.id"], name=op.f("fk_drill_control_control_id_control"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_drill_control_drill_id_drill"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("drill_id", "control_id", name=op.f("pk_drill_control")),
    )
    op.create_table(
        "drill_system",
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_drill_system_drill_id_drill"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["system_id"], ["system.id"], name=op.f("fk_drill_system_system_id_system"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("drill_id", "system_id", name=op.f("pk_drill_system")),
    )
    op.create_table(
        "finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "strength",
                "improvement",
                "incident",
                "nonconformity",
                "observation",
                name="findingkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column(
            "severity",
            sa.Enum("low", "medium", "high", "critical", name="severity", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("detected_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("contributing_factors", sa.String(), nullable=False),
        sa.Column("root_cause", sa.String(), nullable=False),
        sa.Column(
            "related_to_drill",
            sa.Enum("yes", "no", "undetermined", name="drillrelation", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("relation_rationale", sa.String(), nullable=False),
        sa.Column("relation_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_finding_drill_id_drill"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["relation_decided_by_id"],
            ["user.id"],
            name=op.f("fk_finding_relation_decided_by_id_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding")),
    )
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_drill_id"), ["drill_id"], unique=False)

    op.create_table(
        "objective",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column(
            "rating",
            sa.Enum(
                "not_rated",
                "performed",
                "some_challenges",
                "major_challenges",
                "unable",
                name="objectiverating",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("rating_notes", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_objective_drill_id_drill"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objective")),
    )
    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objective_drill_id"), ["drill_id"], unique=False)

    op.create_table(
        "outage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("down", "degraded", name="outagekind", native_enum=False, length=32), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("notes", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["drill_id"], ["drill.id"], name=op.f("fk_outage_drill_id_drill"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["system_id"], ["system.id"], name=op.f("fk_outage_system_id_system"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outage")),
    )
    with op.batch_alter_table("outage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outage_drill_id"), ["drill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_outage_system_id"), ["system_id"], unique=False)

    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("headcount", sa.Integer(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("standby", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_participant_drill_id_drill"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant")),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_drill_id"), ["drill_id"], unique=False)

    op.create_table(
        "sign_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("signer_id", sa.Integer(), nullable=False),
        sa.Column("signer_title", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("statement", sa.String(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_sign_off_drill_id_drill"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["signer_id"], ["user.id"], name=op.f("fk_sign_off_signer_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_off")),
    )
    with op.batch_alter_table("sign_off", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_off_drill_id"), ["drill_id"], unique=False)

    op.create_table(
        "step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "phase",
            sa.Enum(
                "preparation",
                "failover",
                "reconfiguration",
                "validation",
                "failback",
                name="phase",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=True),
        sa.Column("planned_minutes", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum("pending", "success", "issues", "failed", name="stepoutcome", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("notes", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["drill_id"], ["drill.id"], name=op.f("fk_step_drill_id_drill"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["system_id"], ["system.id"], name=op.f("fk_step_system_id_system"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_step")),
    )
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_step_drill_id"), ["drill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_step_system_id"), ["system_id"], unique=False)

    op.create_table(
        "action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("drill_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("team", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column(
            "priority", sa.Enum("low", "medium", "high", name="priority", native_enum=False, length=32), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum("corrective", "preventive", "improvement", name="actionkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "capability",
            sa.Enum(
                "planning",
                "organisation",
                "equipment",
                "training",
                "exercise",
                name="capability",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "verified",
                "cancelled",
                name="actionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completion_note", sa.String(), nullable=False),
        sa.Column("cancelled_reason", sa.String(), nullable=False),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("verification_method", sa.String(), nullable=False),
        sa.Column(
            "verification_result",
            sa.Enum("effective", "not_effective", name="verification", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("verification_notes", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["drill_id"], ["drill.id"], name=op.f("fk_action_drill_id_drill"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["finding.id"], name=op.f("fk_action_finding_id_finding"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_action_owner_id_user"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(
            ["verified_by_id"], ["user.id"], name=op.f("fk_action_verified_by_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
    )
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_action_drill_id"), ["drill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_due_date"), ["due_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_finding_id"), ["finding_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_action_status"), ["status"], unique=False)

    op.create_table(
        "finding_control",
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["control_id"], ["control.id"], name=op.f("fk_finding_control_control_id_control"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["finding.id"], name=op.f("fk_finding_control_finding_id_finding"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("finding_id", "control_id", name=op.f("pk_finding_control")),
    )
    op.create_table(
        "finding_system",
        sa.Column("finding_id", sa.Integer(), nullable=False),
        sa.Column("system_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["finding.id"], name=op.f("fk_finding_system_finding_id_finding"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["system_id"], ["system.id"], name=op.f("fk_finding_system_system_id_system"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("finding_id", "system_id", name=op.f("pk_finding_system")),
    )
    op.create_table(
        "action_control",
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["action.id"], name=op.f("fk_action_control_action_id_action"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["control_id"], ["control.id"], name=op.f("fk_action_control_control_id_control"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("action_id", "control_id", name=op.f("pk_action_control")),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=127), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("collected_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("drill_id", sa.Integer(), nullable=True),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("last_verified_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"], ["action.id"], name=op.f("fk_evidence_action_id_action"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["drill_id"], ["drill.id"], name=op.f("fk_evidence_drill_id_drill"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["finding.id"], name=op.f("fk_evidence_finding_id_finding"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["evidence.id"], name=op.f("fk_evidence_supersedes_id_evidence"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["user.id"], name=op.f("fk_evidence_uploaded_by_id_user"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_drill_id"), ["drill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_finding_id"), ["finding_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_sha256"), ["sha256"], unique=False)

    op.create_table(
        "evidence_control",
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["control_id"], ["control.id"], name=op.f("fk_evidence_control_control_id_control"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name=op.f("fk_evidence_control_evidence_id_evidence"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("evidence_id", "control_id", name=op.f("pk_evidence_control")),
    )


def downgrade() -> None:
    op.drop_table("evidence_control")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_sha256"))
        batch_op.drop_index(batch_op.f("ix_evidence_finding_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_drill_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_action_id"))

    op.drop_table("evidence")
    op.drop_table("action_control")
    op.drop_table("finding_system")
    op.drop_table("finding_control")
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_action_status"))
        batch_op.drop_index(batch_op.f("ix_action_owner_id"))
        batch_op.drop_index(batch_op.f("ix_action_finding_id"))
        batch_op.drop_index(batch_op.f("ix_action_due_date"))
        batch_op.drop_index(batch_op.f("ix_action_drill_id"))

    op.drop_table("action")
    with op.batch_alter_table("step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_step_system_id"))
        batch_op.drop_index(batch_op.f("ix_step_drill_id"))

    op.drop_table("step")
    with op.batch_alter_table("sign_off", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_off_drill_id"))

    op.drop_table("sign_off")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_drill_id"))

    op.drop_table("participant")
    with op.batch_alter_table("outage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outage_system_id"))
        batch_op.drop_index(batch_op.f("ix_outage_drill_id"))

    op.drop_table("outage")
    with op.batch_alter_table("objective", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objective_drill_id"))

    op.drop_table("objective")
    with op.batch_alter_table("finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_drill_id"))

    op.drop_table("finding")
    op.drop_table("drill_system")
    op.drop_table("drill_control")
    op.drop_table("audit_event")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_email"))

    op.drop_table("user")
    op.drop_table("system")
    op.drop_table("drill")
    with op.batch_alter_table("control", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_sort_key"))
        batch_op.drop_index(batch_op.f("ix_control_code"))

    op.drop_table("control")
