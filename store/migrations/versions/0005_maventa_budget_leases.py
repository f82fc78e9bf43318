"""Maventa's request budget shared by the fleet: one lease of places per process that calls Maventa
(store/maventa_budget.py), instead of each process pacing at a fixed share of the budget.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08

Leases live a few seconds: the table holds only the processes calling Maventa now; dropping it loses nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "maventa_budget_leases",
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("wanted", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("holder", name="pk_maventa_budget_leases"),
    )


def downgrade() -> None:
    op.drop_table("maventa_budget_leases")
