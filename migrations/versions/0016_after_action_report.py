"""What an HSEEP after-action report needs that a drill did not record: its sponsor and point of contact,
how it was evaluated and by whom, the hot-wash feedback, the conclusion and lessons learned, a recovery
claim of the write-up checked per system; per objective its analysis and recommendation; an action's
planned start date.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

DRILL_TEXT = {
    "sponsor": 200,
    "point_of_contact": 200,
    "evaluation_method": None,
    "evaluators": 2000,
    "hotwash": None,
    "conclusion": None,
    "claim": 500,
}


def upgrade() -> None:
    for name, length in DRILL_TEXT.items():
        op.add_column("drill", sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
    op.add_column("drill", sa.Column("claim_minutes", sa.Integer(), nullable=True))
    for name in ("analysis", "recommendation"):
        op.add_column("objective", sa.Column(name, sa.String(), nullable=False, server_default=""))
    op.add_column("action", sa.Column("start_date", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("action", "start_date")
    for name in ("recommendation", "analysis"):
        op.drop_column("objective", name)
    op.drop_column("drill", "claim_minutes")
    for name in reversed(DRILL_TEXT):
        op.drop_column("drill", name)
