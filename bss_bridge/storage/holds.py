"""Rows held until the caller's transaction ends, so that two requests that read a row's state and
write what follows from it queue, the second reading what the first committed.
``billing_repository.hold_accounts`` holds accounts (the ledger, orders, bill runs, closes); here
the customer (its close against orders placed for it), specifications (their characteristics and
version), offerings (their price versions) and trouble tickets (their status and history).
Whoever holds several kinds holds customers, then accounts, then specifications, then offerings (no
two holders waiting in a circle). A hold is exclusive unless ``shared``: on PostgreSQL shared holders
of a row do not wait for each other, only for an exclusive holder, and it for them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from bss_bridge.storage.tables import BillingAccountRow, CustomerRow, OfferingRow, SpecificationRow
from bss_bridge.storage.ticket_tables import TroubleTicketRow
from bss_bridge.storage.usage_store import chunks


def hold_rows(
    session: Session,
    row: type[BillingAccountRow | CustomerRow | OfferingRow | SpecificationRow | TroubleTicketRow],
    column: InstrumentedAttribute[str],
    ids: Sequence[str],
    shared: bool = False,
) -> None:
    """PostgreSQL: ``SELECT ... FOR UPDATE`` (``FOR SHARE`` if ``shared``) in id order (two holders
    of several rows never wait on each other in a circle), the reads after it see what the previous
    holder committed (READ COMMITTED); SQLite: ``column`` set to itself, a write that changes
    nothing, which makes the transaction the database's one writer before it reads anything (shared
    or not: SQLite has one writer)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    for part in chunks(sorted(set(ids))):
        where = row.id.in_(part)
        if postgres:
            session.execute(select(row.id).where(where).order_by(row.id).with_for_update(read=shared))
        else:
            session.execute(update(row).where(where).values({column: column}))


def hold_customer(session: Session, customer_id: str) -> None:
    """What closes a customer and what places an order for it hold it before they read what they
    check (its live products; its status), so the second sees what the first committed: an order
    is never placed on a customer closed meanwhile, nor a customer closed under a new order."""
    hold_rows(session, CustomerRow, CustomerRow.status, [customer_id])


def hold_specifications(session: Session, specification_ids: Sequence[str], shared: bool = False) -> None:
    """What changes a specification (a PATCH, a catalog load extending or revising its
    characteristics) reads it and writes it back with its next version: two at once would both
    write the same version, the characteristics one of them added lost. What stores values it
    checks by it (placing an order, defining an offering) holds it ``shared``: a load that tightens
    a rule checks the values stored, then commits the rule, and would miss an order or offering
    checked by the rule it replaces and committed after it. Held after the customer and account,
    before the offerings."""
    hold_rows(session, SpecificationRow, SpecificationRow.lifecycle_status, specification_ids, shared)


def hold_offerings(session: Session, offering_ids: Sequence[str], shared: bool = False) -> None:
    """What changes an offering reads its prices' versions and adds the next: two at once would
    both add the same version (a database error for one), or one write back what the other changed.
    Placing an order holds the offerings it sells ``shared`` before it reads their prices: a price
    change takes its start once it holds the offering, so it is committed before the order reads, or
    starts after the order is stored."""
    hold_rows(session, OfferingRow, OfferingRow.lifecycle_status, offering_ids, shared)


def hold_ticket(session: Session, ticket_id: str) -> None:
    """What changes a ticket's status reads it and its history and writes them back: two at once
    would each move it from the status it read (a ticket resolved, its outage credited, and
    cancelled), the history keeping one of them."""
    hold_rows(session, TroubleTicketRow, TroubleTicketRow.status, [ticket_id])
