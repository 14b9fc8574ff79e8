"""What a bill run reads: accounts, their subscriptions with every term, the offerings' SLA terms
and the lines already issued, through SQLAlchemy Core, never tracked by a unit of work.

Why not the repositories: a bill run reads thousands of accounts and changes none of them. As
tracked aggregates each would go through the ORM's identity map and be written back at commit,
which cost more than billing them. Here each kind is one query per chunk of accounts, its rows
turned straight into the same domain objects the repositories make (``account_of``,
``subscription_of``, ``line_of``); what the caller changes of them is never stored. A price list
or characteristics stored identically on many terms (every subscription sold at one catalog
version) are decoded once per read: the prices are frozen values, shared safely.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from decimal import Decimal
from itertools import groupby
from types import SimpleNamespace
from typing import Any

from sqlalchemy import JSON, String, Text, cast, select, type_coerce
from sqlalchemy.orm import Session

from bss_bridge.domain import codec
from bss_bridge.domain.billing.lines import InvoiceLine
from bss_bridge.domain.catalog import OfferingPrice, Value
from bss_bridge.domain.party import BillingAccount
from bss_bridge.domain.pricing import SlaTerms
from bss_bridge.domain.subscription import Subscription, Term
from bss_bridge.storage import mapping
from bss_bridge.storage.billing_repository import line_of, tax_seen_of
from bss_bridge.storage.billing_tables import BillCycleRow, InvoiceLineRow, InvoiceRow
from bss_bridge.storage.engine import loads
from bss_bridge.storage.order_repository import subscription_of, term_of
from bss_bridge.storage.repositories import account_of
from bss_bridge.storage.tables import BillingAccountRow, OfferingRow, SubscriptionRow, TermRow
from bss_bridge.storage.usage_store import chunks

SUBSCRIPTIONS = SubscriptionRow.__table__
TERMS = TermRow.__table__
LINE_CONTENT = [
    c
    for c in InvoiceLineRow.__table__.columns
    if c.name not in ("id", "invoice_id", "account_id", "position", "subscription_id")
]
LINE_FIELDS = tuple(f.name for f in fields(InvoiceLine) if f.name != "subscription_id")


class BillingReader:
    """Read-only loads for bill runs over one session; decoded price lists are kept across chunks."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._prices: dict[str, tuple[OfferingPrice, ...]] = {}
        self._values: dict[str, dict[str, Value]] = {}

    def accounts(self, ids: Sequence[str]) -> dict[str, BillingAccount]:
        found: dict[str, BillingAccount] = {}
        table = BillingAccountRow.__table__
        for part in chunks(list(ids)):
            found.update((r.id, account_of(r)) for r in self.session.execute(select(table).where(table.c.id.in_(part))))
        return found

    def slas(self) -> dict[str, SlaTerms | None]:
        """Each offering's SLA terms (None: no SLA)."""
        rows = self.session.execute(select(OfferingRow.id, OfferingRow.sla))
        return {offering: None if sla is None else codec.sla_from_data(sla) for offering, sla in rows}

    def subscriptions(self, account_ids: Sequence[str]) -> tuple[dict[str, list[Subscription]], dict[str, int]]:
        """Per account, its subscriptions (ordered by id) with their terms in order; and each
        subscription's revision as read. Both come from one statement, so from one snapshot: a
        change stores its terms and its revision in one commit, and read by two statements it
        could commit between them, its old terms billed under its new revision; the next run,
        finding that revision seen, would never bill the change."""
        found: dict[str, list[Subscription]] = defaultdict(list)
        revisions: dict[str, int] = {}
        term_columns = [
            TERMS.c.seq,
            TERMS.c.offering_id,
            cast(TERMS.c.characteristics, Text).label("characteristics"),
            cast(TERMS.c.prices, Text).label("prices"),
            TERMS.c.reason,
            TERMS.c.order_id,
            TERMS.c.start,
            TERMS.c.end,
        ]
        labelled = [c.label(f"term_{c.name}") for c in term_columns]
        for part in chunks(list(account_ids)):
            query = (
                select(SUBSCRIPTIONS, *labelled)
                .select_from(SUBSCRIPTIONS.outerjoin(TERMS, TERMS.c.subscription_id == SUBSCRIPTIONS.c.id))
                .where(SUBSCRIPTIONS.c.billing_account_id.in_(part))
                .order_by(SUBSCRIPTIONS.c.id, TERMS.c.seq)
            )
            for _, group in groupby(self.session.execute(query), key=lambda row: row.id):
                rows = list(group)
                terms = [
                    self._term(SimpleNamespace(**{c.name: getattr(r, f"term_{c.name}") for c in term_columns}))
                    for r in rows
                    if r.term_seq is not None
                ]
                row = rows[0]
                found[row.billing_account_id].append(subscription_of(row, terms))
                revisions[row.id] = row.revision
        return found, revisions

    def _term(self, row: Any) -> Term:
        prices = self._prices.get(row.prices)
        if prices is None:
            prices = self._prices[row.prices] = tuple(mapping.price_from_data(p) for p in loads(row.prices))
        values = self._values.get(row.characteristics)
        if values is None:
            values = self._values[row.characteristics] = mapping.values_from_data(loads(row.characteristics))
        return term_of(row, dict(values), prices)

    def rates_seen(self, since: dict[str, date]) -> dict[str, dict[date, Decimal]]:
        """Per account, the tax rate each of its bills from its ``since`` on read, by period start
        (those billed before it was kept left out)."""
        found: dict[str, dict[date, Decimal]] = {a: {} for a in since}
        row = BillCycleRow
        for part in chunks(sorted(since)):
            query = select(row.account_id, row.period_start, row.tax_seen).where(
                row.account_id.in_(part), row.period_start >= min(since[a] for a in part)
            )
            for account_id, start, data in self.session.execute(query):
                seen = tax_seen_of(data)
                if seen is not None and start >= since[account_id]:
                    found[account_id][start] = seen.rate
        return found

    def lines(
        self, account_ids: Sequence[str], since: date, before: date | None = None
    ) -> dict[str, list[InvoiceLine]]:
        """Per account, every issued line covering a date from ``since`` on (whose coverage starts
        before ``before``, if given).

        Lines repeat: every subscription sold at one price is billed the same line each period,
        only its subscription differs. So the columns are fetched undecoded and each distinct
        content is decoded once (by the columns' own types, as the ORM would) into a line;
        the others are that line with their subscription."""
        found: dict[str, list[InvoiceLine]] = {a: [] for a in account_ids}
        lines = InvoiceLineRow.__table__
        content = [
            cast(c, Text).label(c.name) if isinstance(c.type, JSON) else type_coerce(c, String).label(c.name)
            for c in LINE_CONTENT
        ]
        decoded: dict[tuple[Any, ...], tuple[InvoiceLine, dict[str, Any]]] = {}
        for part in chunks(list(account_ids)):
            query = (
                select(lines.c.account_id, lines.c.subscription_id, InvoiceRow.currency, *content)
                .join(InvoiceRow, InvoiceRow.id == lines.c.invoice_id)
                .where(lines.c.account_id.in_(part), lines.c.coverage_start >= since)
            )
            if before is not None:
                query = query.where(lines.c.coverage_start < before)
            for row in self.session.execute(query):
                key = row[2:]
                known = decoded.get(key)
                if known is None:
                    line = self._line(key)
                    known = decoded[key] = (line, {n: getattr(line, n) for n in LINE_FIELDS})
                found[row[0]].append(known[0] if row[1] is None else InvoiceLine(**known[1], subscription_id=row[1]))
        return found

    def _line(self, raw: tuple[Any, ...]) -> InvoiceLine:
        dialect = self.session.get_bind().dialect
        values: dict[str, Any] = {"subscription_id": None}
        for column, value in zip(LINE_CONTENT, raw[1:], strict=True):
            if isinstance(column.type, JSON):
                values[column.name] = None if value is None else loads(value)
                continue
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            values[column.name] = value if process is None or value is None else process(value)
        return line_of(SimpleNamespace(**values), raw[0])
