"""Usage in the database: bulk insert, the idempotency check, the rating pass and the group totals
a bill run reads. SQLAlchemy Core, not the ORM: a bill run goes through a million records.

**The rating pass** (:meth:`UsageStore.rate`) adds every guided record above the rating mark to its
group's totals and moves the mark to the highest id. It is exact only if no record with a lower id
can commit after it ran, and no other pass runs beside it: on PostgreSQL it first takes ``LOCK
TABLE bss_usage IN SHARE ROW EXCLUSIVE MODE`` (it waits for imports in flight and holds new ones
until it commits; a second pass waits for the first, then finds the mark moved); on SQLite its
first statement is a write, which serialises it with every other writer. Ids never go back
(``AUTOINCREMENT`` on SQLite, a sequence on PostgreSQL), and a record guided late is moved to a new
id, so a record is counted exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import BigInteger, CursorResult, bindparam, case, delete, func, insert, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from bss_bridge.storage.billing_tables import UsageGroupRow, UsageMarkRow, UsageRow
from bss_bridge.storage.tables import BillingAccountRow, SubscriptionRow, table_of

CHUNK = 500  # ids per IN (...) query: well under SQLite's variable limit
# a record's volume, in and out
OCTETS = func.coalesce(UsageRow.inbound_octets, 0) + func.coalesce(UsageRow.outbound_octets, 0)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class GroupTotal:
    """One group's complete totals (rated records only) and how far it is billed."""

    subscription_id: str
    kind: str
    period_start: date
    account_id: str
    octets: int
    records: int
    max_id: int
    billed_through: int


@dataclass(frozen=True, slots=True)
class GuideFacts:
    """What guiding a record to a product needs to know of it, and of its account's bill cycle."""

    subscription_id: str
    specification_id: str | None
    start_date: datetime | None
    termination_date: datetime | None
    account_id: str
    bill_cycle_day: str
    time_zone: str


class UsageStore:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def fingerprints(self, usage_ids: Sequence[str]) -> dict[str, str]:
        """The stored fingerprint of each id already known."""
        found: dict[str, str] = {}
        for part in chunks(usage_ids):
            query = select(UsageRow.usage_id, UsageRow.fingerprint).where(UsageRow.usage_id.in_(part))
            found.update({usage_id: fingerprint for usage_id, fingerprint in self.session.execute(query)})
        return found

    def guide_facts(self, product_ids: Sequence[str]) -> dict[str, GuideFacts]:
        """Per known product id, what guiding needs (a Core read: guiding changes no subscription)."""
        found: dict[str, GuideFacts] = {}
        for part in chunks(list(product_ids)):
            query = (
                select(
                    SubscriptionRow.id,
                    SubscriptionRow.specification_id,
                    SubscriptionRow.start_date,
                    SubscriptionRow.termination_date,
                    SubscriptionRow.billing_account_id,
                    BillingAccountRow.bill_cycle_day,
                    BillingAccountRow.time_zone,
                )
                .join(BillingAccountRow, BillingAccountRow.id == SubscriptionRow.billing_account_id)
                .where(SubscriptionRow.id.in_(part))
            )
            found.update((row[0], GuideFacts(*row)) for row in self.session.execute(query))
        return found

    def hold(self, *, against_imports: bool) -> None:
        """Guiding against a product's activation. An import holds the table for writing before it
        reads the products it guides to (PostgreSQL ``ROW EXCLUSIVE``, what its inserts take
        anyway); the activation's guiding of the records kept ``received`` holds it against every
        import (``SHARE ROW EXCLUSIVE``) before it reads them: an import in flight commits first and
        its records are found, or it waits and reads the product active. Without it a record
        imported as its product was activated stayed ``received``, never billed. On SQLite a write
        that changes nothing, first: the transaction is the one writer before it reads."""
        if self.postgres:
            mode = "SHARE ROW EXCLUSIVE" if against_imports else "ROW EXCLUSIVE"
            self.session.execute(text("LOCK TABLE bss_usage IN " + mode + " MODE"))
        else:
            marks = update(UsageMarkRow).where(UsageMarkRow.id == 1)
            self.session.execute(marks.values(rated_through=UsageMarkRow.rated_through))

    def insert(self, rows: list[dict[str, Any]]) -> None:
        for part in chunks(rows, 5000):
            self.session.execute(insert(table_of(UsageRow)), list(part))

    def received(self, product_ids: Sequence[str] | None) -> list[UsageRow]:
        query = select(UsageRow).where(UsageRow.status == "received").order_by(UsageRow.id)
        if product_ids is not None:
            query = query.where(UsageRow.product_id.in_(list(product_ids)))
        return list(self.session.scalars(query))

    def reinsert(self, old: UsageRow, changes: dict[str, Any]) -> None:
        """The record under a new (higher) id, so the next rating pass counts it."""
        data = {c.name: getattr(old, c.key) for c in UsageRow.__table__.columns if c.name != "id"}
        self.session.execute(delete(UsageRow).where(UsageRow.id == old.id))
        self.session.execute(insert(UsageRow), [{**data, **changes}])

    def unguide_since(self, subscription_id: str, since: datetime, problem: Callable[[str, datetime], str]) -> int:
        """The subscription's guided records of ``since`` or later back to ``received`` with the
        ``problem`` of their product id and date (a termination recorded after them: the records a
        guiding would refuse now), their counts and octets taken out of their groups' totals where
        a rating pass added them.
        Like a rating pass it holds the table (PostgreSQL) or writes first (SQLite), so no pass
        counts a record between the reading of the mark and the change of its status. How many
        records it took back."""
        session = self.session
        if self.postgres:
            session.execute(text("LOCK TABLE bss_usage IN SHARE ROW EXCLUSIVE MODE"))
        else:  # a write first (one that changes nothing): serialised with every writer, a rating pass too
            marks = update(UsageMarkRow).where(UsageMarkRow.id == 1)
            session.execute(marks.values(rated_through=UsageMarkRow.rated_through))
        mine = (UsageRow.subscription_id == subscription_id) & (UsageRow.status == "guided")
        mine = mine & (UsageRow.usage_date >= since)
        found = session.execute(select(UsageRow.id, UsageRow.product_id, UsageRow.usage_date).where(mine)).all()
        if not found:
            return 0
        mark = self.mark()
        counted = session.execute(
            select(UsageRow.kind, UsageRow.period_start, func.sum(OCTETS), func.count())
            .where(mine, UsageRow.id <= mark)
            .group_by(UsageRow.kind, UsageRow.period_start)
        ).all()
        back = update(UsageRow).where(UsageRow.id == bindparam("b_id"))
        back = back.values(status="received", problem=bindparam("b_problem"), subscription_id=None, account_id=None,
                           period_start=None)
        session.connection().execute(back, [{"b_id": i, "b_problem": problem(p, at)} for i, p, at in found])
        for kind, period_start, total, records in counted:
            session.execute(
                update(UsageGroupRow)
                .where(
                    UsageGroupRow.subscription_id == subscription_id,
                    UsageGroupRow.kind == kind,
                    UsageGroupRow.period_start == period_start,
                )
                .values(octets=UsageGroupRow.octets - int(total or 0), records=UsageGroupRow.records - int(records))
            )
        return len(found)

    def mark(self) -> int:
        return int(self.session.scalar(select(UsageMarkRow.rated_through).where(UsageMarkRow.id == 1)) or 0)

    def rate(self, now: datetime) -> tuple[int, int]:
        """The rating pass (see the module docstring): (records rated, groups touched).

        The new records' sums per group are added to the groups' totals by ``INSERT ... ON CONFLICT
        DO UPDATE``; nothing of the records crosses into Python. A group's ``max_id`` becomes the
        pass's mark: every guided record of the group up to it is in its totals. Its account is its
        subscription's (fixed when sold), joined after summing rather than carried through the
        sums (one column less per record); the join keeps every group, as a guided record's
        subscription exists and the BSS never deletes one. How many records the pass rated is the growth of the
        groups' record counts (only the rating pass changes them, and it holds the lock).

        How the records are summed: on SQLite a pass over most of the table reads it in the order
        of the groups' index (no sort of every record, the plan of the floor's ``GROUP BY``; the
        planner would take the id range and sort), a pass over few records reads their id range.
        On PostgreSQL the sums are a plain ``SELECT ... GROUP BY``, which the planner may run in
        parallel (an ``INSERT ... SELECT`` never is), and the groups are then upserted from arrays."""
        session = self.session
        if self.postgres:  # self-conflicting, and it waits for (and holds) every insert into bss_usage
            session.execute(text("LOCK TABLE bss_usage IN SHARE ROW EXCLUSIVE MODE"))
        elif (
            cast(
                CursorResult[Any],
                session.execute(update(UsageMarkRow).where(UsageMarkRow.id == 1).values(rated_at=now)),
            ).rowcount
            == 0
        ):
            session.add(UsageMarkRow(id=1, rated_through=0, rated_at=now))
            session.flush()
        mark = self.mark()
        top = int(session.scalar(select(func.max(UsageRow.id))) or 0)
        if top <= mark:
            return 0, 0
        counted = select(func.coalesce(func.sum(UsageGroupRow.records), 0))
        before = int(session.scalar(counted) or 0)
        wanted: Any = (UsageRow.status == "guided") & (UsageRow.id > mark) & (UsageRow.id <= top)
        if not self.postgres and (top - mark) * 4 > top - self._lowest_id():  # most of the table: groups' order
            wanted = text("+bss_usage.status = 'guided' AND +bss_usage.id > :mark AND +bss_usage.id <= :top")
            wanted = wanted.bindparams(mark=mark, top=top)  # "+": SQLite may not read these terms off an index
        sums = (
            select(
                UsageRow.subscription_id,
                UsageRow.kind,
                UsageRow.period_start,
                func.sum(OCTETS).label("octets"),
                func.count().label("records"),
            )
            .where(wanted)
            .group_by(UsageRow.subscription_id, UsageRow.kind, UsageRow.period_start)
        )
        if self.postgres:
            groups = self._upsert_groups(session.execute(sums).all(), top, now)
        else:
            groups = self._insert_groups(sums.subquery(), top, now)
        rated = int(session.scalar(counted) or 0) - before
        if self.postgres:
            mark_statement = postgresql.insert(UsageMarkRow).values(id=1, rated_through=top, rated_at=now)
            session.execute(
                mark_statement.on_conflict_do_update(
                    index_elements=["id"], set_={"rated_through": top, "rated_at": now}
                )
            )
        else:
            session.execute(update(UsageMarkRow).where(UsageMarkRow.id == 1).values(rated_through=top))
        return rated, groups

    def _lowest_id(self) -> int:
        """A query of its own: SQLite finds min(id) or max(id) alone by one index lookup, both at once by a scan."""
        return int(self.session.scalar(select(func.min(UsageRow.id))) or 0)

    def _insert_groups(self, sums: Subquery, top: int, now: datetime) -> int:
        """SQLite: the sums added to their groups by one ``INSERT ... SELECT ... ON CONFLICT``."""
        table = table_of(UsageGroupRow)
        subscriptions = table_of(SubscriptionRow)
        rows = (
            select(
                sums.c.subscription_id,
                sums.c.kind,
                sums.c.period_start,
                subscriptions.c.billing_account_id,
                sums.c.octets,
                sums.c.records,
                literal(top, BigInteger()),
                literal(now, UsageGroupRow.rated_at.type),
                literal(0, BigInteger()),
            )
            .join(subscriptions, subscriptions.c.id == sums.c.subscription_id)
            .where(sums.c.records > 0)  # SQLite's upsert needs a WHERE after a join (its parser)
        )
        columns = ["subscription_id", "kind", "period_start", "account_id", "octets", "records", "max_id"]
        statement = sqlite.insert(table).from_select([*columns, "rated_at", "billed_through"], rows)
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["subscription_id", "kind", "period_start"],
            set_={
                "octets": table.c.octets + new.octets,
                "records": table.c.records + new.records,
                "max_id": new.max_id,
                "rated_at": new.rated_at,
            },
        )
        result = self.session.execute(statement.execution_options(preserve_rowcount=True))
        return int(cast(CursorResult[Any], result).rowcount)

    def _upsert_groups(self, sums: Sequence[Any], top: int, now: datetime) -> int:
        """PostgreSQL: the sums (fetched) added to their groups by one upsert from arrays."""
        if not sums:
            return 0
        subs, kinds, starts, octets, records = (list(column) for column in zip(*sums, strict=True))
        result = self.session.execute(
            text(
                "INSERT INTO bss_usage_groups "
                "(subscription_id, kind, period_start, account_id, octets, records, max_id, rated_at, billed_through) "
                "SELECT n.sub, n.kind, n.start, s.billing_account_id, n.octets, n.records, :top, :now, 0 "
                "FROM unnest(CAST(:subs AS text[]), CAST(:kinds AS text[]), CAST(:starts AS date[]), "
                "CAST(:octets AS bigint[]), CAST(:records AS bigint[])) AS n(sub, kind, start, octets, records) "
                "JOIN bss_subscriptions AS s ON s.id = n.sub "
                "ON CONFLICT (subscription_id, kind, period_start) DO UPDATE SET "
                "octets = bss_usage_groups.octets + excluded.octets, "
                "records = bss_usage_groups.records + excluded.records, "
                "max_id = excluded.max_id, rated_at = excluded.rated_at"
            ).bindparams(bindparam("now", type_=UsageGroupRow.rated_at.type)),
            {"subs": subs, "kinds": kinds, "starts": starts, "octets": octets, "records": records}
            | {"top": top, "now": now},
        )
        return int(cast(CursorResult[Any], result).rowcount)

    def groups(self, account_ids: Sequence[str], since: date, before: date) -> list[GroupTotal]:
        """The rated groups of these accounts with a period start in ``[since, before)``."""
        table = UsageGroupRow.__table__
        columns = [getattr(table.c, f.name) for f in fields(GroupTotal)]
        found: list[GroupTotal] = []
        for part in chunks(account_ids):
            query = select(*columns).where(
                table.c.account_id.in_(part), table.c.period_start >= since, table.c.period_start < before
            )
            found += [GroupTotal(*row) for row in self.session.execute(query)]
        return found

    def pending_since(self, account_ids: Sequence[str]) -> dict[str, date]:
        """Per account, the earliest period with rated usage no invoice has billed yet."""
        found: dict[str, date] = {}
        for part in chunks(account_ids):
            query = (
                select(UsageGroupRow.account_id, func.min(UsageGroupRow.period_start))
                .where(UsageGroupRow.account_id.in_(part), UsageGroupRow.max_id > UsageGroupRow.billed_through)
                .group_by(UsageGroupRow.account_id)
            )
            found.update({account: start for account, start in self.session.execute(query)})
        return found

    def samples(
        self, subscription_id: str, period_start: date, through: int
    ) -> list[tuple[datetime, Decimal, Decimal]]:
        query = select(UsageRow.usage_date, UsageRow.inbound_mbps, UsageRow.outbound_mbps).where(
            UsageRow.subscription_id == subscription_id,
            UsageRow.kind == "rate",
            UsageRow.period_start == period_start,
            UsageRow.status == "guided",
            UsageRow.id <= through,
        )
        return [
            (at, inbound or Decimal(0), outbound or Decimal(0)) for at, inbound, outbound in self.session.execute(query)
        ]

    def mark_billed(self, billed: list[tuple[str, str, date, int, str | None]]) -> None:
        """Groups (subscription, kind, period, through, invoice id) billed up to ``through``, in one
        statement: on PostgreSQL an ``UPDATE ... FROM unnest(...)`` of arrays (an executemany would
        be one statement per group there), on SQLite one executemany."""
        if not billed:
            return
        if self.postgres:
            subs, kinds, starts, throughs, invoices = (list(column) for column in zip(*billed, strict=True))
            self.session.execute(
                text(
                    "UPDATE bss_usage_groups AS g SET billed_through = b.through, invoice_id = b.invoice "
                    "FROM unnest(CAST(:subs AS text[]), CAST(:kinds AS text[]), CAST(:starts AS date[]), "
                    "CAST(:throughs AS bigint[]), CAST(:invoices AS text[])) AS b(sub, kind, start, through, invoice) "
                    "WHERE g.subscription_id = b.sub AND g.kind = b.kind AND g.period_start = b.start"
                ),
                {"subs": subs, "kinds": kinds, "starts": starts, "throughs": throughs, "invoices": invoices},
            )
            return
        statement = (
            update(UsageGroupRow)
            .where(
                UsageGroupRow.subscription_id == bindparam("b_sub"),
                UsageGroupRow.kind == bindparam("b_kind"),
                UsageGroupRow.period_start == bindparam("b_start"),
            )
            .values(billed_through=bindparam("b_through"), invoice_id=bindparam("b_invoice"))
        )
        rows = [{"b_sub": s, "b_kind": k, "b_start": p, "b_through": t, "b_invoice": i} for s, k, p, t, i in billed]
        self.session.connection().execute(statement, rows)

def status_case(mark: int) -> Any:
    """A record's TMF635 status: stored ``received``/``guided``, ``rated`` once under the rating mark,
    ``billed`` once an invoice billed its group that far."""
    return case(
        (UsageRow.status == "received", "received"),
        ((UsageGroupRow.invoice_id.is_not(None)) & (UsageRow.id <= UsageGroupRow.billed_through), "billed"),
        (UsageRow.id <= mark, "rated"),
        else_="guided",
    )


def with_status(mark: int) -> Any:
    """Usage rows with their derived status (and the group's invoice), for listing."""
    group = (
        (UsageGroupRow.subscription_id == UsageRow.subscription_id)
        & (UsageGroupRow.kind == UsageRow.kind)
        & (UsageGroupRow.period_start == UsageRow.period_start)
    )
    return (
        select(UsageRow, status_case(mark).label("derived_status"), UsageGroupRow.invoice_id, UsageGroupRow.rated_at)
        .outerjoin(UsageGroupRow, group)
    )
