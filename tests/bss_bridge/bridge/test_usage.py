"""Usage up through the bridge's service layer: the fake OSS's TMF635 records, by hub and by poll,
become usage of the right product in BSS billing, each counted once however often it arrives."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bss_bridge.domain import billing_commands as bc
from bss_bridge.storage.billing_tables import UsageRow
from bss_bridge.storage.usage_store import GroupTotal, UsageStore

from .conftest import World
from .test_orders import active


def next_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def hub(world: World, record: dict[str, Any]) -> None:
    world.bridge.inbox.receive("oss:tmf635", world.oss.usage_event(record))
    world.run(world.bridge.inbox.drain("oss:tmf635"))


def rows(world: World) -> list[tuple[str, str, str, int | None, int | None]]:
    with world.bss.session_factory() as session:
        found = session.scalars(select(UsageRow).order_by(UsageRow.usage_id))
        return [(r.usage_id, r.product_id, r.status, r.inbound_octets, r.outbound_octets) for r in found]


def groups(world: World, account: str) -> list[GroupTotal]:
    with world.bss.session_factory() as session:
        return UsageStore(session).groups([account], date(2000, 1, 1), date(2100, 1, 1))


def test_a_record_replayed_by_the_hub_and_the_poll_is_one_rated_line_of_its_product(world: World) -> None:
    _, account, sub, service = active(world)
    start = next_hour(world.clock.now)
    record = world.oss.publish(service, start, inbound=7_000_000, outbound=3_000_000)
    world.clock.now = start + timedelta(hours=2)
    hub(world, record)
    hub(world, record)  # the hub delivers it again (a new event id: the inbox cannot tell)
    world.run(world.bridge.poll())  # and the poll finds it too
    world.run(world.bridge.poll())
    assert rows(world) == [(record["id"], sub, "guided", 7_000_000, 3_000_000)]
    assert world.handle(bc.RateUsage()) == (1, 1)
    hub(world, record)  # replayed after rating: still nothing new
    world.run(world.bridge.poll())
    assert world.handle(bc.RateUsage()) == (0, 0)
    (group,) = groups(world, account)
    assert (group.subscription_id, group.kind, group.records, group.octets) == (sub, "volume", 1, 10_000_000)


def test_the_poll_finds_what_the_hub_never_delivered_and_leaves_other_services_alone(world: World) -> None:
    _, _, sub, service = active(world)
    start = next_hour(world.clock.now)
    first = world.oss.publish(service, start, inbound=1000, outbound=2000)
    second = world.oss.publish(service, start + timedelta(hours=1), inbound=3000, outbound=4000)
    world.oss.publish("svc-not-ours", start, inbound=5, outbound=5)  # ordered on the OSS directly
    world.clock.now = start + timedelta(hours=3)
    world.run(world.bridge.poll())
    assert [r[:2] for r in rows(world)] == [(first["id"], sub), (second["id"], sub)]
    # much later, the look-back runs from the previous poll: an old record is not read again...
    world.clock.now += timedelta(days=2)
    world.run(world.bridge.poll())
    third = world.oss.publish(service, start + timedelta(days=2), inbound=1, outbound=1)
    world.clock.now += timedelta(minutes=1)
    world.run(world.bridge.poll())  # ... but one published since is
    assert [r[0] for r in rows(world)] == sorted([first["id"], second["id"], third["id"]])


def test_a_record_billing_holds_with_other_content_is_refused_and_the_first_kept(world: World) -> None:
    _, _, sub, service = active(world)
    start = next_hour(world.clock.now)
    record = world.oss.publish(service, start, inbound=10, outbound=20)
    hub(world, record)
    changed = world.oss.publish(service, start, inbound=99, outbound=20)  # same id, other octets
    hub(world, changed)
    assert rows(world) == [(record["id"], sub, "guided", 10, 20)]
    assert world.bridge.ctx.store.inbox_failed() == []  # refused by billing, logged: the inbox not stuck


def test_a_record_without_its_service_or_octets_is_ignored_and_the_inbox_moves_on(world: World) -> None:
    _, _, sub, service = active(world)
    start = next_hour(world.clock.now)
    broken = world.oss.publish(service, start, inbound=1, outbound=1)
    broken["usageCharacteristic"] = [c for c in broken["usageCharacteristic"] if c["name"] != "outboundOctets"]
    hub(world, broken)
    good = world.oss.publish(service, start + timedelta(hours=1), inbound=1, outbound=2)
    hub(world, good)
    assert rows(world) == [(good["id"], sub, "guided", 1, 2)]


def test_a_rate_sample_through_the_inbox_keeps_its_exact_mbit_per_second(world: World) -> None:
    _, _, sub, service = active(world)
    start = next_hour(world.clock.now)
    record = world.oss.publish(service, start, inbound=0, outbound=0, seconds=300)
    record["id"] = record["id"].replace(":volume:", ":rate:")
    record["usageType"] = "rate"
    values = [c for c in record["usageCharacteristic"] if not c["name"].endswith("Octets")]
    record["usageCharacteristic"] = [
        *values,
        {"name": "inboundMbps", "value": 0.017629},
        {"name": "outboundMbps", "value": 2.5},
    ]
    hub(world, record)  # the inbox stores the notification as JSON and reads its numbers back
    with world.bss.session_factory() as session:
        (row,) = session.scalars(select(UsageRow))
        assert (row.usage_id, row.product_id, row.kind) == (record["id"], sub, "rate")
        assert (row.inbound_mbps, row.outbound_mbps) == (Decimal("0.017629"), Decimal("2.5"))
