"""Received invoices: the Netvisor TransactionId of the last request that may have reached Netvisor, and since
when that id has been used, so a successor can send the same request again (activities/inbound_import.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

Existing rows get none: an invoice left importing by an earlier release waits for its recheck and look-up as
before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("received_invoices") as batch:
        batch.add_column(sa.Column("transaction_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("transaction_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("received_invoices") as batch:
        batch.drop_column("transaction_since")
        batch.drop_column("transaction_id")
