"""Companies: the lifecycle state beside the shown one, so a NEEDS_SUPPORT company still imports and sends.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-20

Existing rows take their shown state: for a row that shows NEEDS_SUPPORT the lifecycle state is not known
here, so it stays NEEDS_SUPPORT (gated as before) until the company's workflow next writes its row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("lifecycle_state", sa.String(32), nullable=True))
    op.execute("UPDATE companies SET lifecycle_state = state")
    with op.batch_alter_table("companies") as batch:
        batch.alter_column("lifecycle_state", existing_type=sa.String(32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("lifecycle_state")
