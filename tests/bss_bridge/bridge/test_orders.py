"""Orders down through the bridge's service layer: a real BSS, a fake OSS (the TMF641 subset)."""

from __future__ import annotations

from datetime import timedelta

from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain.billing.lines import LineKind
from bss_bridge.domain.order import ItemState, OrderState
from bss_bridge.domain.requests import ItemRequest
from bss_bridge.domain.subscription import SubscriptionStatus

from .conftest import World


def internet(item: str = "1", site: str = "customer1") -> ItemRequest:
    return ItemRequest(item, "add", "bia-100", characteristics=(("site", site), ("lan", "198.18.2.0/24")))


def placed(world: World) -> tuple[str, str]:
    customer, account = world.customer()
    order = world.order(customer, account, internet())
    world.hub_events("tmf622")  # ProductOrderCreateEvent: carried
    return order.id, order.items[0].subscription_id or ""


def test_an_order_item_becomes_one_service_order_and_its_completion_starts_billing(world: World) -> None:
    order_id, sub = placed(world)
    assert world.product_order(order_id).state is OrderState.IN_PROGRESS
    assert world.send() == 1
    (so,) = world.oss.orders.values()
    assert so["externalId"] == f"{order_id}:1"
    service = so["serviceOrderItem"][0]["service"]
    assert service["serviceSpecification"] == {"id": "internet-access"}
    values = {c["name"]: c["value"] for c in service["serviceCharacteristic"]}
    assert values == {"site": "customer1", "lan": "198.18.2.0/24", "bandwidthMbps": 100, "customer": "ACME"}
    assert world.subscription(sub).status is SubscriptionStatus.PENDING_ACTIVE
    verified = world.clock.now + timedelta(minutes=3)
    world.clock.now += timedelta(minutes=5)
    world.oss_event(world.oss.finish(so["id"], verified, resources=("pe1", "pe1:eth3")))
    assert world.product_order(order_id).state is OrderState.COMPLETED
    active = world.subscription(sub)
    assert (active.status, active.start_date) == (SubscriptionStatus.ACTIVE, verified)  # billing from verification
    link = world.bridge.ctx.store.link(sub)
    assert link is not None and (link.service_id, link.network_state) == (
        so["serviceOrderItem"][0]["service"]["id"],
        "active",
    )
    world.oss_event(world.oss.orders[so["id"]])  # the hub repeats itself: nothing changes
    world.run(world.bridge.poll())
    assert world.send() == 0 and len(world.oss.posts) == 1
    assert [n["event"]["product"]["status"] for n in world.bss.hub.events("tmf637")].count("active") == 1


def test_a_failed_activation_fails_the_item_and_charges_nothing(world: World) -> None:
    order_id, sub = placed(world)
    world.send()
    (so,) = world.oss.orders.values()
    world.oss_event(world.oss.finish(so["id"], world.clock.now, ok=False))
    order = world.product_order(order_id)
    assert order.state is OrderState.FAILED and order.items[0].state is ItemState.FAILED
    failed = world.subscription(sub)
    assert failed.status is not SubscriptionStatus.ACTIVE and failed.start_date is None
    assert "traffic check failed" in (order.items[0].error or "")


def test_the_oss_down_is_retried_with_backoff_and_a_resend_never_orders_twice(world: World) -> None:
    order_id, sub = placed(world)
    world.oss.down = True
    assert world.send() == 1  # tried, failed
    request = world.bridge.ctx.store.request(f"{order_id}:1")
    assert request is not None and request.attempts == 1 and request.state == "pending"
    world.oss.down = False
    assert world.send() == 0  # not due before its back-off
    world.clock.now += timedelta(seconds=world.bss.settings.bridge_retry_base_s + 1)
    assert world.send() == 1 and len(world.oss.orders) == 1
    # a crash after the OSS took the order and before the bridge noted it: the resend is answered 200
    world.run(world.bridge.delivery.send(request))
    assert len(world.oss.posts) == 2 and len(world.oss.orders) == 1
    (so,) = world.oss.orders.values()
    world.oss.finish(so["id"], world.clock.now)
    world.run(world.bridge.poll())  # no hub event at all: the poll finds the outcome
    assert world.subscription(sub).status is SubscriptionStatus.ACTIVE


def test_a_refused_service_order_fails_the_item(world: World) -> None:
    customer, account = world.customer()
    order = world.order(customer, account, ItemRequest("1", "add", "bia-100", characteristics=(("site", "customer1"),)))
    world.oss.refuse = "lan: required by internet-access"
    world.hub_events("tmf622")
    world.send()
    found = world.product_order(order.id)
    assert found.state is OrderState.FAILED and "lan: required" in (found.items[0].error or "")


def active(world: World) -> tuple[str, str, str, str]:
    """A customer with an active internet access (through the bridge): customer, account, product, service."""
    customer, account = world.customer()
    order = world.order(customer, account, internet())
    world.hub_events("tmf622")
    world.send()
    so = world.oss.by_external(f"{order.id}:1")
    world.oss_event(world.oss.finish(so["id"], world.clock.now, resources=("pe1",)))
    return customer, account, order.items[0].subscription_id or "", so["serviceOrderItem"][0]["service"]["id"]


def test_a_speed_change_is_a_modify_order_of_the_changed_characteristic(world: World) -> None:
    customer, account, sub, service = active(world)
    world.clock.now += timedelta(days=3)
    change = world.order(customer, account, ItemRequest("1", "modify", "bia-1000", product_id=sub))
    world.hub_events("tmf622")
    world.send()
    so = world.oss.by_external(f"{change.id}:1")
    item = so["serviceOrderItem"][0]
    assert (item["action"], item["service"]["id"], item["service"]["serviceCharacteristic"]) == (
        "modify",
        service,
        [{"name": "bandwidthMbps", "value": 1000}],
    )
    world.oss_event(world.oss.finish(so["id"], world.clock.now))
    assert world.product_order(change.id).state is OrderState.COMPLETED
    assert world.subscription(sub).offering_id == "bia-1000"


def test_termination_deletes_the_service_and_ends_billing_with_a_prorated_final_charge(world: World) -> None:
    customer, account, sub, service = active(world)
    world.clock.now += timedelta(days=20)
    end = world.order(customer, account, ItemRequest("1", "delete", product_id=sub))
    world.hub_events("tmf622")
    world.send()
    so = world.oss.by_external(f"{end.id}:1")
    assert so["serviceOrderItem"][0] == {"id": "1", "action": "delete", "service": {"id": service}}
    gone = world.clock.now + timedelta(minutes=2)
    world.oss_event(world.oss.finish(so["id"], gone))
    ended = world.subscription(sub)
    assert ended.status is SubscriptionStatus.TERMINATED and ended.termination_date == gone
    assert world.oss.services[service]["state"] == "terminated"
    link = world.bridge.ctx.store.link(sub)
    assert link is not None and link.network_state == "terminated"
    world.clock.now += timedelta(days=15)
    world.handle(bc.RunBilling(world.clock.now, (account,), False))
    with world.bss.uow() as uow:
        (bill,) = uow.invoices.of_account(account)
    recurring = [line for line in bill.lines if line.kind is LineKind.RECURRING]
    (monthly,) = recurring  # activated 1 March 09:00 UTC, verified gone 21 March: 20 days billed, not the 21st
    assert "20 of 31 days" in monthly.description and monthly.coverage.end == gone.date()


def test_an_oss_clock_behind_the_bss_still_ends_the_product_after_its_terms_began(world: World) -> None:
    customer, account, sub, _ = active(world)
    started = world.subscription(sub).start_date
    assert started is not None
    world.clock.now += timedelta(hours=1)
    end = world.order(customer, account, ItemRequest("1", "delete", product_id=sub))
    world.hub_events("tmf622")
    world.send()
    so = world.oss.by_external(f"{end.id}:1")
    world.oss_event(world.oss.finish(so["id"], started - timedelta(seconds=5)))  # the OSS's clock is behind
    ended = world.subscription(sub)
    assert ended.status is SubscriptionStatus.TERMINATED and ended.termination_date is not None
    assert ended.termination_date > started
    assert world.product_order(end.id).state is OrderState.COMPLETED
