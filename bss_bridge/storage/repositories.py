"""Repositories: aggregates loaded from rows, written back at commit, with an identity map per unit
of work (two lookups of one id give the same object) and the events they recorded collected."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from bss_bridge.domain import codec
from bss_bridge.domain.catalog import ProductSpecification
from bss_bridge.domain.events import Event
from bss_bridge.domain.offering import ProductOffering
from bss_bridge.domain.party import AccountState, AccountTerms, BillCycle, BillingAccount, Customer, CustomerStatus
from bss_bridge.domain.window import Window
from bss_bridge.storage import mapping
from bss_bridge.storage.tables import (
    Base,
    BillingAccountRow,
    BundleComponentRow,
    CustomerRow,
    OfferingPriceRow,
    OfferingRow,
    SpecificationRow,
)


class Aggregate(Protocol):
    id: str
    events: list[Event]


A = TypeVar("A", bound=Aggregate)
R = TypeVar("R", bound=Base)


class Repository(Generic[A, R]):
    """Loads ``A`` from rows of ``row_type`` and writes it back; subclasses map the fields."""

    row_type: ClassVar[type[Any]]
    order_by: ClassVar[str] = "id"
    options: ClassVar[tuple[Any, ...]] = ()

    def __init__(self, session: Session) -> None:
        self.session = session
        self._seen: dict[str, tuple[A, R]] = {}
        self._new: list[R] = []

    def _load(self, row: R) -> A:
        key: str = row.id  # type: ignore[attr-defined]
        if key not in self._seen:
            self._seen[key] = (self._to_domain(row), row)
        return self._seen[key][0]

    def get(self, key: str) -> A | None:
        if key in self._seen:
            return self._seen[key][0]
        row = self.session.get(self.row_type, key, options=list(self.options))
        return None if row is None else self._load(row)

    def get_many(self, keys: Sequence[str], refresh: bool = False) -> dict[str, A]:
        """The aggregates of ``keys`` that exist; those read before in this unit of work are not read
        again, unless ``refresh``: see ``read_again``."""
        wanted = [k for k in keys if k not in self._seen]
        if wanted:
            query = self._select().where(self.row_type.id.in_(wanted)).execution_options(populate_existing=refresh)
            for row in self.session.scalars(query):
                self._load(row)
        return {k: self._seen[k][0] for k in keys if k in self._seen}

    def read_again(self, keys: Sequence[str]) -> dict[str, A]:
        """The aggregates as the database has them now (after a hold waited for a change to commit):
        their rows refreshed, not taken from the session, and the aggregates handed out before for
        these keys dropped (never written back)."""
        for key in keys:
            self._seen.pop(key, None)
        return self.get_many(keys, refresh=True)

    def _select(self) -> Select[Any]:
        return select(self.row_type).options(*self.options)

    def list(
        self,
        filters: Mapping[str, Sequence[Any]] | None = None,
        offset: int = 0,
        limit: int | None = None,
        where: Sequence[Any] = (),
    ) -> tuple[list[A], int]:
        """One page of aggregates whose ``column`` is one of the given values and that meet the
        ``where`` conditions (SQL expressions on ``row_type``), and the total matching."""
        query = self._select().where(*where)
        for column, values in (filters or {}).items():
            query = query.where(getattr(self.row_type, column).in_(list(values)))
        total = self.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        query = query.order_by(getattr(self.row_type, self.order_by), self.row_type.id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [self._load(row) for row in self.session.scalars(query)], int(total)

    def add(self, aggregate: A) -> None:
        """Track a new aggregate; its row joins the session when the unit of work writes back, in
        foreign-key order (sessions do not autoflush)."""
        row = self.row_type(id=aggregate.id)
        self._seen[aggregate.id] = (aggregate, row)
        self._new.append(row)

    def write_back(self) -> None:
        for aggregate, row in self._seen.values():
            self._write(aggregate, row)
        self.session.add_all(self._new)
        self._new.clear()

    def collect_events(self) -> Iterator[Event]:
        for aggregate, _ in self._seen.values():
            while aggregate.events:
                yield aggregate.events.pop(0)

    def _to_domain(self, row: R) -> A:
        raise NotImplementedError

    def _write(self, aggregate: A, row: R) -> None:
        raise NotImplementedError


def account_of(row: Any) -> BillingAccount:
    """A billing account from its row (the ORM's, or a Core row of ``bss_billing_accounts``)."""
    terms = AccountTerms(
        BillCycle.parse(row.bill_cycle_day),
        row.time_zone,
        row.tax_rate_pct,
        mapping.exemption_from_data(row.tax_exemption),
        row.payment_terms_days,
        row.credit_limit,
    )
    return BillingAccount(
        row.id,
        row.customer_id,
        row.name,
        row.currency,
        terms,
        row.created_at,
        row.updated_at,
        AccountState(row.state),
    )


class CustomerRepository(Repository[Customer, CustomerRow]):
    row_type = CustomerRow
    order_by = "created_at"

    def _to_domain(self, row: CustomerRow) -> Customer:
        return Customer(
            row.id,
            row.name,
            mapping.party_from_data(row.engaged_party),
            row.created_at,
            row.updated_at,
            mapping.contacts_from_data(row.contacts),
            CustomerStatus(row.status),
            row.status_reason,
        )

    def _write(self, c: Customer, row: CustomerRow) -> None:
        row.name, row.status, row.status_reason = c.name, c.status.value, c.status_reason
        row.engaged_party, row.contacts = mapping.party_to_data(c.engaged_party), mapping.contacts_to_data(c.contacts)
        row.created_at, row.updated_at = c.created_at, c.updated_at


class AccountRepository(Repository[BillingAccount, BillingAccountRow]):
    row_type = BillingAccountRow
    order_by = "created_at"

    def _to_domain(self, row: BillingAccountRow) -> BillingAccount:
        return account_of(row)

    def _write(self, a: BillingAccount, row: BillingAccountRow) -> None:
        row.customer_id, row.name, row.currency, row.state = a.customer_id, a.name, a.currency, a.state.value
        t = a.terms
        row.bill_cycle_day, row.time_zone, row.tax_rate_pct = str(t.bill_cycle), t.time_zone, t.tax_rate_pct
        row.tax_exemption = mapping.exemption_to_data(t.tax_exemption)
        row.payment_terms_days, row.credit_limit = t.payment_terms_days, t.credit_limit
        row.created_at, row.updated_at = a.created_at, a.updated_at


class SpecificationRepository(Repository[ProductSpecification, SpecificationRow]):
    row_type = SpecificationRow

    def _to_domain(self, row: SpecificationRow) -> ProductSpecification:
        characteristics = tuple(codec.characteristic_from_data(c) for c in row.characteristics)
        return ProductSpecification(
            row.id,
            row.name,
            row.service_specification,
            characteristics,
            row.created_at,
            row.updated_at,
            row.description,
            row.version,
            row.lifecycle_status,
        )

    def _write(self, s: ProductSpecification, row: SpecificationRow) -> None:
        row.name, row.description, row.version, row.lifecycle_status = (
            s.name,
            s.description,
            s.version,
            s.lifecycle_status,
        )
        row.service_specification = s.service_specification
        row.characteristics = [codec.characteristic_to_data(c) for c in s.characteristics]
        row.created_at, row.updated_at = s.created_at, s.updated_at


class OfferingRepository(Repository[ProductOffering, OfferingRow]):
    row_type = OfferingRow
    options = (selectinload(OfferingRow.prices), selectinload(OfferingRow.components))

    def all(self) -> dict[str, ProductOffering]:
        return {o.id: o for o in self.list()[0]}

    def _to_domain(self, row: OfferingRow) -> ProductOffering:
        prices = [
            mapping.price_from_data(
                {
                    "id": p.id,
                    "offeringId": p.offering_id,
                    "name": p.name,
                    "currency": p.currency,
                    "version": p.version,
                    "validFrom": p.valid_from.isoformat(),
                    "validTo": p.valid_to.isoformat() if p.valid_to else None,
                    **p.terms,
                }
            )
            for p in row.prices
        ]
        return ProductOffering(
            row.id,
            row.name,
            row.specification_id,
            row.created_at,
            row.updated_at,
            row.description,
            row.sellable,
            Window(row.valid_from, row.valid_to),
            row.lifecycle_status,
            tuple(c.component_id for c in row.components),
            mapping.values_from_data(row.fixed),
            None if row.sla is None else codec.sla_from_data(row.sla),
            prices,
        )

    def _write(self, o: ProductOffering, row: OfferingRow) -> None:
        row.name, row.description, row.specification_id, row.sellable = (
            o.name,
            o.description,
            o.specification_id,
            o.sellable,
        )
        row.valid_from, row.valid_to, row.lifecycle_status = o.valid_for.start, o.valid_for.end, o.lifecycle_status
        row.fixed, row.sla = mapping.values_to_data(o.fixed), None if o.sla is None else codec.sla_to_data(o.sla)
        row.created_at, row.updated_at = o.created_at, o.updated_at
        if not row.components and o.bundled:
            row.components = [BundleComponentRow(position=n, component_id=c) for n, c in enumerate(o.bundled)]
        stored = {p.id: p for p in row.prices}
        for price in o.prices:
            price_row = stored.get(price.id)
            if price_row is None:
                price_row = OfferingPriceRow(id=price.id, offering_id=o.id)
                row.prices.append(price_row)
            assert price.valid_for.start is not None
            price_row.name, price_row.currency, price_row.version = price.name, price.currency, price.version
            price_row.valid_from, price_row.valid_to = price.valid_for.start, price.valid_for.end
            price_row.terms = codec.term_to_data(price.charge)
