"""Billing's tables: usage records and their rated groups, bill cycles, invoices and their lines,
the numbering sequences, the account ledger (invoices, payments, credit notes), outages,
maintenance windows and suspensions. Named ``bss_*`` like the rest of the BSS's schema.

Why these shapes (``docs/architecture.md``, "Billing as built"):

- a usage record is never updated once guided: its *rated* and *billed* status are read from its
  group (``bss_usage_groups``: one subscription, kind and billing period), whose totals grow by
  the records above the global rating mark (``bss_usage_marks``), so a bill run over a million
  records writes a few thousand group rows, not a million record rows;
- volumes are whole octets (BIGINT): the database sums them exactly (text decimals would be summed
  through a float);
- ``bss_bill_cycles`` has one row per account and billing period billed, made in the bill run's
  transaction: its primary key is what makes a repeated or concurrent run create nothing;
- ``bss_document_sequences`` holds the last number of each series and year; a number is taken by an
  UPDATE in the transaction that stores the document, so a rolled-back run gives its number back
  and concurrent runs queue on the row: gapless and unique.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bss_bridge.storage.tables import BIG_ID, ID, Base

OCTETS = BigInteger()


class UsageRow(Base):
    """One TMF635 usage record as received: a volume (octets in and out over an interval) or a
    5-minute rate sample (Mbit/s in and out). ``status`` is ``received`` (kept, not attributable:
    ``problem`` says why) or ``guided`` (its subscription, account and billing period are known)."""

    __tablename__ = "bss_usage"
    __table_args__ = (
        Index(
            "ix_bss_usage_rating",
            "status",
            "id",
            "subscription_id",
            "kind",
            "period_start",
            "account_id",
            "inbound_octets",
            "outbound_octets",
        ),
        Index("ix_bss_usage_group", "subscription_id", "kind", "period_start"),
        {"sqlite_autoincrement": True},  # ids never reused: the rating mark relies on them only growing
    )

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    usage_id: Mapped[str] = mapped_column(String(128), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # volume | rate
    product_id: Mapped[str] = mapped_column(String(200), index=True)  # as sent
    usage_date: Mapped[datetime]
    end_date: Mapped[datetime | None]
    inbound_octets: Mapped[int | None] = mapped_column(OCTETS)
    outbound_octets: Mapped[int | None] = mapped_column(OCTETS)
    inbound_mbps: Mapped[Decimal | None]
    outbound_mbps: Mapped[Decimal | None]
    status: Mapped[str] = mapped_column(String(16))
    problem: Mapped[str] = mapped_column(Text, default="")
    subscription_id: Mapped[str | None] = mapped_column(ID)
    account_id: Mapped[str | None] = mapped_column(ID)
    period_start: Mapped[date | None] = mapped_column(Date)
    received_at: Mapped[datetime]


class UsageMarkRow(Base):
    """The rating mark: every guided record with an id up to ``rated_through`` is in its group's totals."""

    __tablename__ = "bss_usage_marks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rated_through: Mapped[int] = mapped_column(BigInteger)
    rated_at: Mapped[datetime | None]


class UsageGroupRow(Base):
    """The usage of one subscription, kind and billing period: complete totals of its rated
    records (every guided record of the group with an id up to ``max_id``, the rating mark of the
    pass that last added to it), and how far an invoice billed it (``billed_through``)."""

    __tablename__ = "bss_usage_groups"
    __table_args__ = (Index("ix_bss_usage_groups_account", "account_id", "period_start"),)

    subscription_id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    account_id: Mapped[str] = mapped_column(ID)
    octets: Mapped[int] = mapped_column(OCTETS, default=0)
    records: Mapped[int] = mapped_column(BigInteger, default=0)
    max_id: Mapped[int] = mapped_column(BigInteger, default=0)
    rated_at: Mapped[datetime]
    billed_through: Mapped[int] = mapped_column(BigInteger, default=0)
    invoice_id: Mapped[str | None] = mapped_column(ID)


class BillCycleRow(Base):
    """An account's billing period, billed (with its invoice, or none when nothing was owed)."""

    __tablename__ = "bss_bill_cycles"

    account_id: Mapped[str] = mapped_column(ForeignKey("bss_billing_accounts.id"), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    period_end: Mapped[date] = mapped_column(Date)
    invoice_id: Mapped[str | None] = mapped_column(ID)
    run_id: Mapped[str] = mapped_column(ID)
    billed_at: Mapped[datetime]
    # The revision of each started subscription of the account as the bill read it (None: billed
    # before revisions were kept); the next bill looks again at those changed since
    seen: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The account's tax rate and exemption window as the bill read them (None: billed before they
    # were kept): the next bill corrects the tax of the periods whose exemption status changed since
    tax_seen: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DocumentSequenceRow(Base):
    """The last number given in a series (``INV``, ``CN``) and year."""

    __tablename__ = "bss_document_sequences"

    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class InvoiceRow(Base):
    """A customer bill (TMF678): one account, one billing period, numbered when issued."""

    __tablename__ = "bss_invoices"
    __table_args__ = (
        UniqueConstraint("account_id", "period_start", name="uq_bss_invoices_account_period"),
        UniqueConstraint("series", "year", "seq", name="uq_bss_invoices_series_year_seq"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    series: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[str] = mapped_column(ForeignKey("bss_billing_accounts.id"), index=True)
    customer_id: Mapped[str] = mapped_column(ID)
    currency: Mapped[str] = mapped_column(String(3))
    time_zone: Mapped[str] = mapped_column(String(64))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    bill_date: Mapped[datetime] = mapped_column(index=True)
    due_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16), index=True)
    held_from: Mapped[str | None] = mapped_column(String(16))
    gross: Mapped[Decimal]
    discount: Mapped[Decimal]
    subtotal: Mapped[Decimal]
    tax: Mapped[Decimal]
    total: Mapped[Decimal]
    remaining: Mapped[Decimal]
    tax_exemption: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[str] = mapped_column(ID)
    updated_at: Mapped[datetime]


class InvoiceLineRow(Base):
    """One appliedCustomerBillingRate: everything ``InvoiceLine`` holds, so later runs reconcile against it."""

    __tablename__ = "bss_invoice_lines"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_bss_invoice_lines_position"),
        Index("ix_bss_invoice_lines_history", "account_id", "coverage_start"),
    )

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("bss_invoices.id"), index=True)
    account_id: Mapped[str] = mapped_column(ID)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(Text)
    coverage_start: Mapped[date] = mapped_column(Date)
    coverage_end: Mapped[date] = mapped_column(Date)
    coverage_starts_at: Mapped[datetime]
    coverage_ends_at: Mapped[datetime]
    quantity: Mapped[Decimal]
    unit: Mapped[str] = mapped_column(String(16))
    unit_price: Mapped[Decimal]
    gross: Mapped[Decimal]
    discount: Mapped[Decimal]
    amount: Mapped[Decimal]
    tax_rate: Mapped[Decimal]
    tax: Mapped[Decimal]
    subscription_id: Mapped[str | None] = mapped_column(ID)
    product: Mapped[str] = mapped_column(String(200), default="")
    price_name: Mapped[str] = mapped_column(String(64), default="")
    part: Mapped[str] = mapped_column(String(64), default="")
    period_days: Mapped[int] = mapped_column(Integer, default=0)
    promotion: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reference: Mapped[str | None] = mapped_column(String(128))


class LedgerRow(Base):
    """One fact about an account's money (an invoice, a payment, a credit note), posted once per
    ``(kind, key)``: the key is the idempotency key (a payment's correlatorId, an invoice's id)."""

    __tablename__ = "bss_ledger"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_bss_ledger_key"),)

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("bss_billing_accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(128))
    number: Mapped[str | None] = mapped_column(String(32), unique=True)  # a credit note's number
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    at: Mapped[datetime]
    due: Mapped[date | None] = mapped_column(Date)
    invoice_id: Mapped[str | None] = mapped_column(ID)
    details: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]


class OutageRow(Base):
    """A subscription's service unavailable from ``start`` to ``end`` (None: not restored yet),
    as the bridge reports it from a trouble ticket (``id`` is the reporter's, for idempotency)."""

    __tablename__ = "bss_outages"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("bss_subscriptions.id"), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The subscription's revision its recording (or its end's move) made (None: recorded before
    # revisions were kept): billing looks again at an outage its account's last bill did not see
    revision: Mapped[int | None]


class MaintenanceRow(Base):
    """Announced maintenance: excused time for the listed subscriptions (every one when none listed)."""

    __tablename__ = "bss_maintenance_windows"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    start: Mapped[datetime]
    end: Mapped[datetime]
    description: Mapped[str] = mapped_column(Text, default="")
    products: Mapped[list[Any]]
    created_at: Mapped[datetime]


class SuspensionRow(Base):
    """A subscription suspended from ``start`` to ``end`` (open: still suspended), and why."""

    __tablename__ = "bss_suspensions"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("bss_subscriptions.id"), index=True)
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(String(16))  # dunning | operator
