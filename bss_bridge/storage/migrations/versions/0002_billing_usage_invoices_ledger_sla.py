"""billing: usage, invoices, ledger, SLA

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bss_document_sequences",
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_bss_document_sequences")),
    )
    op.create_table(
        "bss_maintenance_windows",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_maintenance_windows")),
    )
    op.create_table(
        "bss_usage",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("usage_id", sa.String(length=128), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("product_id", sa.String(length=200), nullable=False),
        sa.Column("usage_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inbound_octets", sa.BigInteger(), nullable=True),
        sa.Column("outbound_octets", sa.BigInteger(), nullable=True),
        sa.Column("inbound_mbps", sa.String(length=64), nullable=True),
        sa.Column("outbound_mbps", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.String(length=64), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_usage")),
        sa.UniqueConstraint("usage_id", name=op.f("uq_bss_usage_usage_id")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("bss_usage", schema=None) as batch_op:
        batch_op.create_index("ix_bss_usage_group", ["subscription_id", "kind", "period_start"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_usage_product_id"), ["product_id"], unique=False)
        batch_op.create_index(
            "ix_bss_usage_rating",
            [
                "status",
                "id",
                "subscription_id",
                "kind",
                "period_start",
                "account_id",
                "inbound_octets",
                "outbound_octets",
            ],
            unique=False,
        )

    op.create_table(
        "bss_usage_groups",
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("octets", sa.BigInteger(), nullable=False),
        sa.Column("records", sa.BigInteger(), nullable=False),
        sa.Column("max_id", sa.BigInteger(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("billed_through", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("subscription_id", "kind", "period_start", name=op.f("pk_bss_usage_groups")),
    )
    with op.batch_alter_table("bss_usage_groups", schema=None) as batch_op:
        batch_op.create_index("ix_bss_usage_groups_account", ["account_id", "period_start"], unique=False)

    op.create_table(
        "bss_usage_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rated_through", sa.BigInteger(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_usage_marks")),
    )
    op.create_table(
        "bss_bill_cycles",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("billed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["bss_billing_accounts.id"], name=op.f("fk_bss_bill_cycles_account_id_bss_billing_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "period_start", name=op.f("pk_bss_bill_cycles")),
    )
    op.create_table(
        "bss_invoices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bill_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("held_from", sa.String(length=16), nullable=True),
        sa.Column("gross", sa.String(length=64), nullable=False),
        sa.Column("discount", sa.String(length=64), nullable=False),
        sa.Column("subtotal", sa.String(length=64), nullable=False),
        sa.Column("tax", sa.String(length=64), nullable=False),
        sa.Column("total", sa.String(length=64), nullable=False),
        sa.Column("remaining", sa.String(length=64), nullable=False),
        sa.Column("tax_exemption", sa.Text(), nullable=True),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["bss_billing_accounts.id"], name=op.f("fk_bss_invoices_account_id_bss_billing_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_invoices")),
        sa.UniqueConstraint("account_id", "period_start", name="uq_bss_invoices_account_period"),
        sa.UniqueConstraint("number", name=op.f("uq_bss_invoices_number")),
        sa.UniqueConstraint("series", "year", "seq", name="uq_bss_invoices_series_year_seq"),
    )
    with op.batch_alter_table("bss_invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_invoices_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_invoices_bill_date"), ["bill_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_invoices_state"), ["state"], unique=False)

    op.create_table(
        "bss_ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("amount", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("invoice_id", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["bss_billing_accounts.id"], name=op.f("fk_bss_ledger_account_id_bss_billing_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_ledger")),
        sa.UniqueConstraint("kind", "key", name="uq_bss_ledger_key"),
        sa.UniqueConstraint("number", name=op.f("uq_bss_ledger_number")),
    )
    with op.batch_alter_table("bss_ledger", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_ledger_account_id"), ["account_id"], unique=False)

    op.create_table(
        "bss_invoice_lines",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("invoice_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("coverage_start", sa.Date(), nullable=False),
        sa.Column("coverage_end", sa.Date(), nullable=False),
        sa.Column("coverage_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("coverage_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("unit_price", sa.String(length=64), nullable=False),
        sa.Column("gross", sa.String(length=64), nullable=False),
        sa.Column("discount", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.String(length=64), nullable=False),
        sa.Column("tax_rate", sa.String(length=64), nullable=False),
        sa.Column("tax", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("price_name", sa.String(length=64), nullable=False),
        sa.Column("part", sa.String(length=64), nullable=False),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("promotion", sa.JSON(), nullable=True),
        sa.Column("reference", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["bss_invoices.id"], name=op.f("fk_bss_invoice_lines_invoice_id_bss_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_invoice_lines")),
        sa.UniqueConstraint("invoice_id", "position", name="uq_bss_invoice_lines_position"),
    )
    with op.batch_alter_table("bss_invoice_lines", schema=None) as batch_op:
        batch_op.create_index("ix_bss_invoice_lines_history", ["account_id", "coverage_start"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_invoice_lines_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "bss_outages",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["bss_subscriptions.id"], name=op.f("fk_bss_outages_subscription_id_bss_subscriptions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_outages")),
    )
    with op.batch_alter_table("bss_outages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_outages_subscription_id"), ["subscription_id"], unique=False)

    op.create_table(
        "bss_suspensions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["bss_subscriptions.id"],
            name=op.f("fk_bss_suspensions_subscription_id_bss_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_suspensions")),
    )
    with op.batch_alter_table("bss_suspensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_suspensions_subscription_id"), ["subscription_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bss_suspensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_suspensions_subscription_id"))

    op.drop_table("bss_suspensions")
    with op.batch_alter_table("bss_outages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_outages_subscription_id"))

    op.drop_table("bss_outages")
    with op.batch_alter_table("bss_invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_invoice_lines_invoice_id"))
        batch_op.drop_index("ix_bss_invoice_lines_history")

    op.drop_table("bss_invoice_lines")
    with op.batch_alter_table("bss_ledger", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_ledger_account_id"))

    op.drop_table("bss_ledger")
    with op.batch_alter_table("bss_invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_invoices_state"))
        batch_op.drop_index(batch_op.f("ix_bss_invoices_bill_date"))
        batch_op.drop_index(batch_op.f("ix_bss_invoices_account_id"))

    op.drop_table("bss_invoices")
    op.drop_table("bss_bill_cycles")
    op.drop_table("bss_usage_marks")
    with op.batch_alter_table("bss_usage_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_bss_usage_groups_account")

    op.drop_table("bss_usage_groups")
    with op.batch_alter_table("bss_usage", schema=None) as batch_op:
        batch_op.drop_index("ix_bss_usage_rating")
        batch_op.drop_index(batch_op.f("ix_bss_usage_product_id"))
        batch_op.drop_index("ix_bss_usage_group")

    op.drop_table("bss_usage")
    op.drop_table("bss_maintenance_windows")
    op.drop_table("bss_document_sequences")
