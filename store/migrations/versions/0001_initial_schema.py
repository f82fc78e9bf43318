"""Initial schema: companies projection, transaction ledger, received and sent invoices, billing runs, vault.

Revision ID: 0001
Revises:
Create Date: 2026-05-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("business_id", sa.String(20), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("needs_support", sa.Boolean(), nullable=False),
        sa.Column("needs_support_reason", sa.String(2000), nullable=True),
        sa.Column("maventa_company_uuid", sa.String(64), nullable=True),
        sa.Column("credentials_ref", sa.String(64), nullable=True),
        sa.Column("import_mode", sa.String(16), nullable=False),
        sa.Column("import_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("company_id", name="pk_companies"),
    )
    op.create_index("ix_companies_maventa_company_uuid", "companies", ["maventa_company_uuid"])
    op.create_index("ix_companies_state_company_id", "companies", ["state", "company_id"])
    op.create_index("ix_companies_needs_support_company_id", "companies", ["needs_support", "company_id"])

    op.create_table(
        "transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("source_id", sa.String(200), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_transactions"),
        sa.UniqueConstraint("kind", "source_id", name="uq_transactions_kind_source_id"),
    )
    op.create_index("ix_transactions_company_id_month", "transactions", ["company_id", "month"])

    op.create_table(
        "received_invoices",
        sa.Column("maventa_invoice_id", sa.String(64), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("origin", sa.String(32), nullable=True),
        sa.Column("number", sa.String(100), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("netvisor_key", sa.String(100), nullable=True),
        sa.Column("quarantine_reason", sa.String(4000), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("maventa_invoice_id", name="pk_received_invoices"),
    )
    op.create_index("ix_received_invoices_company_id_status", "received_invoices", ["company_id", "status"])

    op.create_table(
        "sent_invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("invoice_key", sa.String(100), nullable=False),
        sa.Column("uuid", sa.String(64), nullable=False),
        sa.Column("maventa_invoice_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sent_invoices"),
        sa.UniqueConstraint("company_id", "invoice_key", name="uq_sent_invoices_company_id_invoice_key"),
        sa.UniqueConstraint("uuid", name="uq_sent_invoices_uuid"),
    )
    op.create_index("ix_sent_invoices_maventa_invoice_id", "sent_invoices", ["maventa_invoice_id"])

    op.create_table(
        "service_billing_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_service_billing_runs"),
        sa.UniqueConstraint("company_id", "month", name="uq_service_billing_runs_company_id_month"),
    )
    op.create_index("ix_service_billing_runs_month", "service_billing_runs", ["month"])

    op.create_table(
        "vault_secrets",
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("ciphertext", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("ref", name="pk_vault_secrets"),
    )
    op.create_index("ix_vault_secrets_owner", "vault_secrets", ["owner"])


def downgrade() -> None:
    op.drop_table("vault_secrets")
    op.drop_table("service_billing_runs")
    op.drop_table("sent_invoices")
    op.drop_table("received_invoices")
    op.drop_table("transactions")
    op.drop_table("companies")
