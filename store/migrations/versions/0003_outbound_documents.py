"""Outbound documents: submitted sales invoices kept in the store, not in a folder the API and workers share.

Revision ID: 0003
Revises: 0002
Create Date: 2026-05-20

Documents kept in the former folder (`OUTBOUND_DOCUMENTS_DIR`, default `{DATA_DIR}/outbound`) are not moved:
an invoice not yet uploaded then fails its upload with "submit the invoice again" (the same POST stores it
here), and GET answers 404 for invoices submitted before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbound_documents",
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("invoice_key", sa.String(100), nullable=False),
        sa.Column("submission", sa.JSON(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("company_id", "invoice_key", name="pk_outbound_documents"),
    )


def downgrade() -> None:
    op.drop_table("outbound_documents")
