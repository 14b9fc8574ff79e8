"""Suspension down: a suspended product's service is made inactive by a TMF641 modify order, a
resumed one active again; one change in flight per product, each under its own externalId."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands

from .conftest import World
from .test_orders import active


def network(world: World, sub: str) -> str:
    link = world.bridge.ctx.store.link(sub)
    assert link is not None
    return link.network_state


def test_suspension_makes_the_service_inactive_and_resumption_active_again(world: World) -> None:
    _, _, sub, service = active(world)
    world.handle(commands.SuspendSubscription(sub, "dunning"))
    world.hub_events("tmf637")  # ProductStateChangeEvent: suspended
    assert world.send() == 1
    suspend = world.oss.by_external(f"{sub}:state:1")
    assert suspend["serviceOrderItem"][0]["service"] == {"id": service, "state": "inactive"}
    world.hub_events("tmf637")  # repeated notifications order nothing more
    world.run(world.bridge.poll())
    assert world.send() == 0 and len(world.oss.posts) == 2
    world.oss_event(world.oss.finish(suspend["id"], world.clock.now))
    assert network(world, sub) == "inactive" and world.oss.services[service]["state"] == "inactive"
    world.handle(commands.ResumeSubscription(sub))
    world.run(world.bridge.poll())  # no hub event this time: the poll sees the product active, its service not
    world.send()
    resume = world.oss.by_external(f"{sub}:state:2")
    assert resume["serviceOrderItem"][0]["service"] == {"id": service, "state": "active"}
    world.oss_event(world.oss.finish(resume["id"], world.clock.now))
    assert network(world, sub) == "active" and world.oss.services[service]["state"] == "active"


def test_a_quick_suspend_and_resume_ends_where_the_product_is(world: World) -> None:
    _, _, sub, service = active(world)
    world.handle(commands.SuspendSubscription(sub, "dunning"))
    world.hub_events("tmf637")
    world.send()
    world.handle(commands.ResumeSubscription(sub))  # while the suspension is still on its way
    world.hub_events("tmf637")
    assert world.send() == 0  # one change in flight at a time
    world.oss_event(world.oss.finish(world.oss.by_external(f"{sub}:state:1")["id"], world.clock.now))
    world.send()  # judged again once it ended: the product is active, so its service must be too
    resume = world.oss.by_external(f"{sub}:state:2")
    world.oss_event(world.oss.finish(resume["id"], world.clock.now))
    assert network(world, sub) == "active" and world.oss.services[service]["state"] == "active"


def test_a_failed_state_change_is_tried_again_after_a_backoff(world: World) -> None:
    _, _, sub, _ = active(world)
    world.handle(commands.SuspendSubscription(sub, "dunning"))
    world.hub_events("tmf637")
    world.send()
    world.oss_event(world.oss.finish(world.oss.by_external(f"{sub}:state:1")["id"], world.clock.now, ok=False))
    assert network(world, sub) == "active"
    world.run(world.bridge.poll())
    assert world.send() == 0  # not before the back-off
    world.clock.now += timedelta(seconds=world.bss.settings.bridge_retry_base_s + 1)
    world.run(world.bridge.poll())
    assert world.send() == 1
    world.oss_event(world.oss.finish(world.oss.by_external(f"{sub}:state:2")["id"], world.clock.now))
    assert network(world, sub) == "inactive"


def test_dunning_suspends_the_service_and_the_payment_resumes_it(world: World) -> None:
    _, account, sub, service = active(world)  # activated 1 March
    world.clock.now = datetime(2026, 4, 1, 8, tzinfo=UTC)
    world.handle(bc.RunBilling(world.clock.now, (account,), False))
    with world.bss.uow() as uow:
        owed = sum((b.remaining for b in uow.invoices.of_account(account)), Decimal(0))
    world.clock.now = datetime(2026, 6, 1, 12, tzinfo=UTC)  # long overdue
    assert "suspended 1 product(s)" in world.handle(bc.RunDunning())[account]
    world.hub_events("tmf637")
    world.send()
    suspend = world.oss.by_external(f"{sub}:state:1")
    assert suspend["serviceOrderItem"][0]["service"] == {"id": service, "state": "inactive"}
    world.oss_event(world.oss.finish(suspend["id"], world.clock.now))
    assert network(world, sub) == "inactive"
    world.handle(bc.RecordPayment("bank-1", account, owed, "EUR"))
    world.hub_events("tmf637")
    world.send()
    resume = world.oss.by_external(f"{sub}:state:2")
    assert resume["serviceOrderItem"][0]["service"] == {"id": service, "state": "active"}
    world.oss_event(world.oss.finish(resume["id"], world.clock.now))
    assert network(world, sub) == "active"
