"""Usage import (TMF635), guiding and rating; outages and maintenance windows (SLA inputs).

An import is judged record by record against what is stored and against itself: a new id is
stored (guided to its subscription, or kept ``received`` with the reason), a known id with the same
content is a duplicate (counted once), a known id with other content is a conflict (refused,
reported, the first kept). The batch is one transaction; two concurrent imports of one new id are
settled by the unique index (the loser is judged again against the winner).

A maintenance window is announced before it starts (one starting before now is refused): it
excuses downtime only when it was known in advance, and no window can reach days already billed, so
an SLA credit never depends on whether the bill run came before or after a window was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from bss_bridge.domain import billing_commands as commands
from bss_bridge.domain.billing.cycles import BillCycle as BillingCycle
from bss_bridge.domain.billing.metering import UsageKind, UsageSubmission, guide_problem
from bss_bridge.domain.billing_view import cycle_of
from bss_bridge.domain.errors import ConflictError, InvalidRequestError, found
from bss_bridge.domain.party import BillCycle
from bss_bridge.service_layer.deps import Deps
from bss_bridge.service_layer.unit_of_work import UnitOfWork, judged_again
from bss_bridge.storage import sla_store
from bss_bridge.storage.billing_tables import MaintenanceRow, OutageRow
from bss_bridge.storage.usage_store import UsageStore


@dataclass
class UsageReport:
    stored: list[str] = field(default_factory=list)  # new ids (guided or received)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    unguided: dict[str, str] = field(default_factory=dict)  # id -> why it stays received


def _guides(uow: UnitOfWork, records: list[tuple[str, datetime]]) -> dict[tuple[str, datetime], dict[str, Any]]:
    """Per (product id, usage date): the columns guiding sets (status, problem, subscription...)."""
    facts = UsageStore(uow.session).guide_facts(sorted({p for p, _ in records}))
    cycles: dict[str, BillingCycle] = {}
    found_: dict[tuple[str, datetime], dict[str, Any]] = {}
    for product_id, at in records:
        sub = facts.get(product_id)
        problem = guide_problem(
            product_id,
            at,
            exists=sub is not None,
            bundle=sub is not None and sub.specification_id is None,
            start=sub.start_date if sub else None,
            termination=sub.termination_date if sub else None,
        )
        if problem or sub is None:
            found_[product_id, at] = {"status": "received", "problem": problem}
        else:
            cycle = cycles.get(sub.account_id)
            if cycle is None:
                cycle = cycles[sub.account_id] = cycle_of(BillCycle.parse(sub.bill_cycle_day), sub.time_zone)
            found_[product_id, at] = {
                "status": "guided",
                "problem": "",
                "subscription_id": sub.subscription_id,
                "account_id": sub.account_id,
                "period_start": cycle.period_at(at).start,
            }
    return found_


def _row(record: UsageSubmission, guide: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "usage_id": record.id,
        "fingerprint": record.fingerprint,
        "kind": record.kind.value,
        "product_id": record.product_id,
        "usage_date": record.usage_date,
        "end_date": record.end_date,
        "inbound_octets": record.inbound_octets,
        "outbound_octets": record.outbound_octets,
        "inbound_mbps": record.inbound_mbps,
        "outbound_mbps": record.outbound_mbps,
        "received_at": now,
        "subscription_id": None,
        "account_id": None,
        "period_start": None,
        **guide,
    }


def _import(uow: UnitOfWork, records: tuple[UsageSubmission, ...], now: datetime) -> UsageReport:
    report = UsageReport()
    store = UsageStore(uow.session)
    store.hold(against_imports=False)  # before the products are read (UsageStore.hold)
    known = store.fingerprints([r.id for r in records])
    new: list[UsageSubmission] = []
    for record in records:
        fingerprint = record.fingerprint
        first = known.get(record.id)
        if first is None:
            known[record.id] = fingerprint
            new.append(record)
            report.stored.append(record.id)
        elif first == fingerprint:
            report.duplicates.append(record.id)
        else:
            report.conflicts.append(record.id)
    guides = _guides(uow, [(r.product_id, r.usage_date) for r in new])
    rows = []
    for record in new:
        guide = guides[record.product_id, record.usage_date]
        if guide["problem"]:
            report.unguided[record.id] = guide["problem"]
        rows.append(_row(record, guide, now))
    store.insert(rows)
    return report


async def import_usage(cmd: commands.ImportUsage, uow: UnitOfWork, deps: Deps) -> UsageReport:
    now = deps.clock()
    for attempt in range(3):
        try:
            with uow:
                report = _import(uow, cmd.records, now)
                uow.commit()
            return report
        except IntegrityError:  # a concurrent import stored one of these ids first: judge again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def guide_usage(cmd: commands.GuideUsage, uow: UnitOfWork, deps: Deps) -> int:
    """Guide the received records again; how many now are. Each moves to a new id (see usage_store)."""
    with uow:
        store = UsageStore(uow.session)
        waiting = store.received(cmd.product_ids)
        guides = _guides(uow, [(r.product_id, r.usage_date) for r in waiting])
        guided = 0
        for row in waiting:
            guide = guides[row.product_id, row.usage_date]
            if guide["status"] == "guided":
                store.reinsert(row, guide)
                guided += 1
            elif guide["problem"] != row.problem:
                row.problem = guide["problem"]
        uow.commit()
    return guided


async def rate_usage(cmd: commands.RateUsage, uow: UnitOfWork, deps: Deps) -> tuple[int, int]:
    with uow:
        rated = UsageStore(uow.session).rate(deps.clock())
        if rated[0]:
            deps.failpoints.reach("usage-rated")  # summed and marked, not committed
        uow.commit()
    return rated


async def record_outage(cmd: commands.RecordOutage, uow: UnitOfWork, deps: Deps) -> tuple[OutageRow, bool]:
    """Record an outage, or update its end and description (the same id again); (row, new)."""
    now = deps.clock()
    if cmd.end is not None and cmd.end < cmd.start:
        raise InvalidRequestError.one("end", "an outage cannot end before it starts")

    def attempt() -> tuple[OutageRow, bool]:
        with uow:
            found(uow.subscriptions.get(cmd.subscription_id), "product", cmd.subscription_id)
            row = uow.session.get(OutageRow, cmd.outage_id)
            new = row is None
            if row is not None and (row.subscription_id, row.start) != (cmd.subscription_id, cmd.start):
                raise ConflictError(
                    f"outage {cmd.outage_id} was recorded for another product or start (the first kept)"
                )
            row = sla_store.write_outage(
                uow.session, row, cmd.outage_id, cmd.subscription_id, cmd.start, cmd.end, cmd.description, now
            )
            uow.commit()
        return row, new

    return judged_again(attempt)  # one id recorded at once: the later ones update or conflict with the first


async def record_maintenance(
    cmd: commands.RecordMaintenance, uow: UnitOfWork, deps: Deps
) -> tuple[MaintenanceRow, bool]:
    if cmd.end <= cmd.start:
        raise InvalidRequestError.one("validFor.endDateTime", "a maintenance window ends after it starts")

    def attempt() -> tuple[MaintenanceRow, bool]:
        with uow:
            row = uow.session.get(MaintenanceRow, cmd.window_id)
            wanted = (cmd.start, cmd.end, cmd.description, sorted(cmd.products))
            if row is not None:
                if (row.start, row.end, row.description, sorted(row.products)) != wanted:
                    raise ConflictError(f"maintenance window {cmd.window_id} exists with other content (first kept)")
                uow.session.expunge(row)
                return row, False
            now = deps.clock()
            if cmd.start < now:  # after the existing window: a retry of one announced in time is still answered
                raise InvalidRequestError.one(
                    "validFor.startDateTime",
                    f"a maintenance window is announced before it starts; {cmd.start.isoformat()} is before now "
                    f"({now.isoformat()}): downtime already past is not excused",
                )
            unknown = [p for p in cmd.products if uow.subscriptions.get(p) is None]
            if unknown:
                raise InvalidRequestError.one("product", f"no product {unknown[0]!r}")
            row = MaintenanceRow(
                id=cmd.window_id,
                start=cmd.start,
                end=cmd.end,
                description=cmd.description,
                products=sorted(cmd.products),
                created_at=now,
            )
            uow.session.add(row)
            uow.commit()
        return row, True

    return judged_again(attempt)  # one id announced at once: the later ones answered as a repeat or a conflict


HANDLERS = {
    commands.ImportUsage: import_usage,
    commands.GuideUsage: guide_usage,
    commands.RateUsage: rate_usage,
    commands.RecordOutage: record_outage,
    commands.RecordMaintenance: record_maintenance,
}

__all__ = ["HANDLERS", "UsageKind", "UsageReport"]
