"""Billing's event handlers: a subscription's status changes reach usage guiding and the SLA.

- activated: its usage that arrived first (kept ``received``) is guided now;
- terminated: its usage of the termination instant or later that was guided before the termination
  was recorded (the BSS learnt of it late) is taken back to ``received`` with the reason a guiding
  gives now, and out of its groups' totals: the next bill gives back what was billed of it, as the
  account that learnt in time was never billed it;
- suspended (by an operator; dunning records its own): the suspension is recorded, excused from
  the SLA's measured time; resumed or terminated: the open suspension ends.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bss_bridge.domain.billing.metering import guide_problem
from bss_bridge.domain.events import SubscriptionStatusChanged
from bss_bridge.service_layer.deps import Deps
from bss_bridge.service_layer.unit_of_work import UnitOfWork
from bss_bridge.service_layer.usage_handlers import _guides
from bss_bridge.storage.billing_tables import SuspensionRow
from bss_bridge.storage.usage_store import UsageStore

SUSPENDED = "suspended"
TERMINATED = "terminated"


async def on_status_changed(event: SubscriptionStatusChanged, uow: UnitOfWork, deps: Deps) -> None:
    now = deps.clock()
    with uow:
        if event.new == TERMINATED:
            sub = uow.subscriptions.get(event.subscription_id)
            if sub is not None and sub.termination_date is not None:
                start, ended = sub.start_date, sub.termination_date

                def problem(product: str, at: datetime) -> str:
                    return guide_problem(product, at, exists=True, bundle=False, start=start, termination=ended)

                UsageStore(uow.session).unguide_since(sub.id, ended, problem)
        if event.new == "active":
            store = UsageStore(uow.session)
            store.hold(against_imports=True)  # an import in flight commits first (UsageStore.hold)
            waiting = store.received((event.subscription_id,))
            guides = _guides(uow, [(r.product_id, r.usage_date) for r in waiting])
            for row in waiting:
                if guides[row.product_id, row.usage_date]["status"] == "guided":
                    store.reinsert(row, guides[row.product_id, row.usage_date])
        open_rows = select(SuspensionRow.id).where(
            SuspensionRow.subscription_id == event.subscription_id, SuspensionRow.end.is_(None)
        )
        if event.new == SUSPENDED and uow.session.scalar(open_rows) is None:
            uow.session.add(
                SuspensionRow(subscription_id=event.subscription_id, start=now, end=None, reason="operator")
            )
        if event.old == SUSPENDED and event.new != SUSPENDED:
            uow.session.execute(
                update(SuspensionRow)
                .where(SuspensionRow.subscription_id == event.subscription_id, SuspensionRow.end.is_(None))
                .values(end=now)
            )
        uow.commit()


EVENT_HANDLERS = {SubscriptionStatusChanged: [on_status_changed]}
