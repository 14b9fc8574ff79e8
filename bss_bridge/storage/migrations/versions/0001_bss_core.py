"""BSS core: customers, accounts, catalog, orders, subscriptions, hub

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-30 11:42:24.363659
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bss_customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("engaged_party", sa.JSON(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_customers")),
    )
    with op.batch_alter_table("bss_customers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_customers_name"), ["name"], unique=False)

    op.create_table(
        "bss_hub_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("api", sa.String(length=32), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_hub_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_bss_hub_events_event_id")),
    )
    with op.batch_alter_table("bss_hub_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_hub_events_resource_id"), ["resource_id"], unique=False)

    op.create_table(
        "bss_hub_listeners",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("api", sa.String(length=32), nullable=False),
        sa.Column("callback", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_hub_listeners")),
    )
    with op.batch_alter_table("bss_hub_listeners", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_hub_listeners_api"), ["api"], unique=False)

    op.create_table(
        "bss_product_specifications",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("lifecycle_status", sa.String(length=32), nullable=False),
        sa.Column("service_specification", sa.String(length=128), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_product_specifications")),
    )
    op.create_table(
        "bss_billing_accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bill_cycle_day", sa.String(length=4), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("tax_rate_pct", sa.String(length=64), nullable=False),
        sa.Column("tax_exemption", sa.JSON(), nullable=True),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("credit_limit", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bss_customers.id"], name=op.f("fk_bss_billing_accounts_customer_id_bss_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_billing_accounts")),
    )
    with op.batch_alter_table("bss_billing_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_billing_accounts_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "bss_hub_deliveries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("listener_id", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["bss_hub_events.id"],
            name=op.f("fk_bss_hub_deliveries_event_id_bss_hub_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["listener_id"],
            ["bss_hub_listeners.id"],
            name=op.f("fk_bss_hub_deliveries_listener_id_bss_hub_listeners"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_hub_deliveries")),
        sa.UniqueConstraint("event_id", "listener_id", name="uq_bss_hub_deliveries_event_listener"),
    )
    with op.batch_alter_table("bss_hub_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bss_hub_deliveries_pending", ["listener_id", "delivered_at", "event_id"], unique=False
        )

    op.create_table(
        "bss_product_offerings",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("specification_id", sa.String(length=64), nullable=True),
        sa.Column("sellable", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifecycle_status", sa.String(length=32), nullable=False),
        sa.Column("fixed", sa.JSON(), nullable=False),
        sa.Column("sla", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["bss_product_specifications.id"],
            name=op.f("fk_bss_product_offerings_specification_id_bss_product_specifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_product_offerings")),
    )
    op.create_table(
        "bss_bundle_components",
        sa.Column("bundle_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"],
            ["bss_product_offerings.id"],
            name=op.f("fk_bss_bundle_components_bundle_id_bss_product_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["component_id"],
            ["bss_product_offerings.id"],
            name=op.f("fk_bss_bundle_components_component_id_bss_product_offerings"),
        ),
        sa.PrimaryKeyConstraint("bundle_id", "position", name=op.f("pk_bss_bundle_components")),
    )
    op.create_table(
        "bss_offering_prices",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("offering_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["bss_product_offerings.id"],
            name=op.f("fk_bss_offering_prices_offering_id_bss_product_offerings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_offering_prices")),
        sa.UniqueConstraint("offering_id", "name", "currency", "version", name="uq_bss_offering_prices_version"),
    )
    with op.batch_alter_table("bss_offering_prices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_offering_prices_offering_id"), ["offering_id"], unique=False)

    op.create_table(
        "bss_product_orders",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("billing_account_id", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tax_rate_pct", sa.String(length=64), nullable=False),
        sa.Column("order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_completion", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completion_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=False),
        sa.Column("state_before_cancellation", sa.String(length=32), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["bss_billing_accounts.id"],
            name=op.f("fk_bss_product_orders_billing_account_id_bss_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bss_customers.id"], name=op.f("fk_bss_product_orders_customer_id_bss_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_product_orders")),
        sa.UniqueConstraint("external_id", name=op.f("uq_bss_product_orders_external_id")),
    )
    with op.batch_alter_table("bss_product_orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_product_orders_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_product_orders_state"), ["state"], unique=False)

    op.create_table(
        "bss_cancel_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("requested_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("effective_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["bss_product_orders.id"], name=op.f("fk_bss_cancel_requests_order_id_bss_product_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_cancel_requests")),
    )
    with op.batch_alter_table("bss_cancel_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_cancel_requests_order_id"), ["order_id"], unique=False)

    op.create_table(
        "bss_product_order_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("offering_id", sa.String(length=64), nullable=True),
        sa.Column("subscription_id", sa.String(length=64), nullable=True),
        sa.Column("parent_id", sa.String(length=64), nullable=True),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["bss_product_offerings.id"],
            name=op.f("fk_bss_product_order_items_offering_id_bss_product_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["bss_product_orders.id"], name=op.f("fk_bss_product_order_items_order_id_bss_product_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_product_order_items")),
        sa.UniqueConstraint("order_id", "item_id", name="uq_bss_product_order_items_item"),
    )
    with op.batch_alter_table("bss_product_order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bss_product_order_items_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bss_product_order_items_subscription_id"), ["subscription_id"], unique=False
        )

    op.create_table(
        "bss_subscriptions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("billing_account_id", sa.String(length=64), nullable=False),
        sa.Column("offering_id", sa.String(length=64), nullable=False),
        sa.Column("specification_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("start_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("termination_date", sa.DateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("order_item_id", sa.String(length=64), nullable=True),
        sa.Column("bundle_id", sa.String(length=64), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("status_before_termination", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["bss_billing_accounts.id"],
            name=op.f("fk_bss_subscriptions_billing_account_id_bss_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["bundle_id"], ["bss_subscriptions.id"], name=op.f("fk_bss_subscriptions_bundle_id_bss_subscriptions")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["bss_customers.id"], name=op.f("fk_bss_subscriptions_customer_id_bss_customers")
        ),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["bss_product_offerings.id"],
            name=op.f("fk_bss_subscriptions_offering_id_bss_product_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["bss_product_orders.id"], name=op.f("fk_bss_subscriptions_order_id_bss_product_orders")
        ),
        sa.ForeignKeyConstraint(
            ["specification_id"],
            ["bss_product_specifications.id"],
            name=op.f("fk_bss_subscriptions_specification_id_bss_product_specifications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_subscriptions")),
    )
    with op.batch_alter_table("bss_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bss_subscriptions_billing_account_id"), ["billing_account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_bss_subscriptions_bundle_id"), ["bundle_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_subscriptions_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bss_subscriptions_status"), ["status"], unique=False)

    op.create_table(
        "bss_subscription_terms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("offering_id", sa.String(length=64), nullable=False),
        sa.Column("characteristics", sa.JSON(), nullable=False),
        sa.Column("prices", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["offering_id"],
            ["bss_product_offerings.id"],
            name=op.f("fk_bss_subscription_terms_offering_id_bss_product_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["bss_subscriptions.id"],
            name=op.f("fk_bss_subscription_terms_subscription_id_bss_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bss_subscription_terms")),
        sa.UniqueConstraint("subscription_id", "seq", name="uq_bss_subscription_terms_seq"),
    )
    with op.batch_alter_table("bss_subscription_terms", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bss_subscription_terms_subscription_id"), ["subscription_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bss_subscription_terms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_subscription_terms_subscription_id"))

    op.drop_table("bss_subscription_terms")
    with op.batch_alter_table("bss_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_subscriptions_status"))
        batch_op.drop_index(batch_op.f("ix_bss_subscriptions_customer_id"))
        batch_op.drop_index(batch_op.f("ix_bss_subscriptions_bundle_id"))
        batch_op.drop_index(batch_op.f("ix_bss_subscriptions_billing_account_id"))

    op.drop_table("bss_subscriptions")
    with op.batch_alter_table("bss_product_order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_product_order_items_subscription_id"))
        batch_op.drop_index(batch_op.f("ix_bss_product_order_items_order_id"))

    op.drop_table("bss_product_order_items")
    with op.batch_alter_table("bss_cancel_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_cancel_requests_order_id"))

    op.drop_table("bss_cancel_requests")
    with op.batch_alter_table("bss_product_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_product_orders_state"))
        batch_op.drop_index(batch_op.f("ix_bss_product_orders_customer_id"))

    op.drop_table("bss_product_orders")
    with op.batch_alter_table("bss_offering_prices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_offering_prices_offering_id"))

    op.drop_table("bss_offering_prices")
    op.drop_table("bss_bundle_components")
    op.drop_table("bss_product_offerings")
    with op.batch_alter_table("bss_hub_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_bss_hub_deliveries_pending")

    op.drop_table("bss_hub_deliveries")
    with op.batch_alter_table("bss_billing_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_billing_accounts_customer_id"))

    op.drop_table("bss_billing_accounts")
    op.drop_table("bss_product_specifications")
    with op.batch_alter_table("bss_hub_listeners", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_hub_listeners_api"))

    op.drop_table("bss_hub_listeners")
    with op.batch_alter_table("bss_hub_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_hub_events_resource_id"))

    op.drop_table("bss_hub_events")
    with op.batch_alter_table("bss_customers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bss_customers_name"))

    op.drop_table("bss_customers")
