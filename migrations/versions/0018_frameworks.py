"""Frameworks beside ISO/IEC 27001:2022: ISO 22301:2019 clauses 8.4 to 10.1, the NIS2 implementing
regulation (EU) 2024/2690 sections 4.1 and 4.2, DORA articles 11, 12, 24 and 25; each requirement
mapped to the ISO 27001 controls whose evidence answers it, and the drill scenarios it asks for.

Titles are this product's summaries, not the texts of the standards and regulations; the data
lives here so that this revision means the same catalogue for ever.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

#: (framework, code, ref, title, ISO 27001 control codes, scenarios asked for)
REQUIREMENTS = [
    ("iso22301", "ISO 22301 8.4", "8.4", "Continuity plans and procedures: response, warning, communication and recovery",
     ["A.5.24", "A.5.26", "A.5.29", "A.5.30"], []),
    ("iso22301", "ISO 22301 8.5", "8.5", "Exercise programme: continuity solutions exercised over time, results reported and acted on",
     ["A.5.29", "A.5.30", "A.8.13", "A.8.14"], ["switchover"]),
    ("iso22301", "ISO 22301 8.6", "8.6", "Evaluation of continuity documentation and capabilities",
     ["A.5.30", "A.5.35", "9.1"], []),
    ("iso22301", "ISO 22301 9.1", "9.1", "Monitoring, measurement, analysis and evaluation",
     ["9.1"], []),
    ("iso22301", "ISO 22301 10.1", "10.1", "Nonconformity and corrective action",
     ["10.2", "A.5.27"], []),
    ("nis2", "NIS2 4.1", "4.1", "Business continuity and disaster recovery plan",
     ["A.5.29", "A.5.30"], []),
    ("nis2", "NIS2 4.1.4", "4.1.4", "Continuity and recovery plans tested, reviewed and updated at planned intervals",
     ["A.5.29", "A.5.30"], ["switchover"]),
    ("nis2", "NIS2 4.2", "4.2", "Backup and redundancy management",
     ["A.8.13", "A.8.14"], []),
    ("nis2", "NIS2 4.2.6", "4.2.6", "Recovery from backups and redundant capacity tested regularly, results documented",
     ["A.8.13", "A.8.14", "A.5.30"], ["restore"]),
    ("dora", "DORA Art. 11", "Art. 11", "Response and recovery: ICT business continuity policy and plans",
     ["A.5.24", "A.5.26", "A.5.29", "A.5.30"], []),
    ("dora", "DORA Art. 11(6)", "Art. 11(6)", "Continuity plans tested at least yearly, with cyber-attack and switchover scenarios",
     ["A.5.29", "A.5.30"], ["cyber_attack", "switchover"]),
    ("dora", "DORA Art. 12", "Art. 12", "Backup, restoration and recovery, with restore tests that check integrity",
     ["A.8.13", "A.8.14"], ["restore"]),
    ("dora", "DORA Art. 24", "Art. 24", "Digital operational resilience testing programme",
     ["A.5.30", "9.1", "10.2"], []),
    ("dora", "DORA Art. 25", "Art. 25", "Testing of ICT tools and systems",
     ["A.5.30", "A.8.8", "A.8.29"], []),
]  # fmt: skip


def _sort_key(framework: str, ref: str) -> str:
    """'8.5' before '10.1' and 'Art. 11' before 'Art. 11(6)': numbers padded, within each framework."""
    digits = ref.replace("Art. ", "").replace("(", ".").replace(")", "")
    return framework + ":" + ".".join(part.zfill(3) for part in digits.split("."))


def upgrade() -> None:
    requirement = op.create_table(
        "requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "framework",
            sa.Enum("iso22301", "nis2", "dora", name="framework", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("sort_key", sa.String(length=40), nullable=False),
        sa.Column("scenarios", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement")),
        sa.UniqueConstraint("code", name=op.f("uq_requirement_code")),
    )
    op.create_index(op.f("ix_requirement_framework"), "requirement", ["framework"])
    op.create_table(
        "requirement_control",
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("control_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_requirement_control_requirement_id_requirement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["control_id"], ["control.id"], name=op.f("fk_requirement_control_control_id_control"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("requirement_id", "control_id", name=op.f("pk_requirement_control")),
    )
    op.create_index(op.f("ix_requirement_control_control_id"), "requirement_control", ["control_id"])
    op.bulk_insert(
        requirement,
        [
            {"id": n, "framework": fw, "code": code, "ref": ref, "title": title,
             "sort_key": _sort_key(fw, ref), "scenarios": ",".join(scenarios)}
            for n, (fw, code, ref, title, _, scenarios) in enumerate(REQUIREMENTS, 1)
        ],
    )  # fmt: skip
    conn = op.get_bind()
    control_ids = dict(conn.execute(sa.text("SELECT code, id FROM control")).all())
    link = sa.table("requirement_control", sa.column("requirement_id"), sa.column("control_id"))
    op.bulk_insert(
        link,
        [
            {"requirement_id": n, "control_id": control_ids[code]}
            for n, (*_, codes, _) in enumerate(REQUIREMENTS, 1)
            for code in codes
        ],
    )
    if conn.dialect.name == "postgresql":  # ids were given: the sequence starts after them
        conn.execute(sa.text("SELECT setval('requirement_id_seq', (SELECT max(id) FROM requirement))"))


def downgrade() -> None:
    op.drop_table("requirement_control")
    op.drop_index(op.f("ix_requirement_framework"), table_name="requirement")
    op.drop_table("requirement")
