"""Reconciliation through the bridge: the BSS's products against the fake OSS's services, each
divergence reported, repaired through the outbox, and in sync afterwards."""

from __future__ import annotations

from datetime import timedelta

from bss_bridge.domain.requests import ItemRequest

from .conftest import World
from .test_orders import active


def kinds(world: World) -> list[tuple[str, str | None, str | None]]:
    return [(d.kind, d.product, d.service) for d in world.run(world.bridge.reconciler.compare())]


def test_divergences_are_reported_then_repaired_and_the_inventories_agree(world: World) -> None:
    _, _, lost, lost_service = active(world)
    _, _, off, off_service = active(world)
    _, _, gone, gone_service = active(world)
    customer, account, ended, ended_service = active(world)
    world.oss.services["foreign"] = {"id": "foreign", "state": "active", "externalId": "crm-1"}
    assert kinds(world) == []
    # behind the bridge's back: a link lost, a service switched off, one deleted, an ended product's left on
    world.bridge.ctx.store.set_link(lost, "svc-unknown", customer, "internet-access", "active", world.clock.now)
    world.oss.services[off_service]["state"] = "inactive"
    world.oss.services[gone_service]["state"] = "terminated"
    world.clock.now += timedelta(days=1)
    world.order(customer, account, ItemRequest("1", "delete", product_id=ended))
    world.hub_events("tmf622")
    world.send()
    (delete,) = [o for o in world.oss.orders.values() if o["serviceOrderItem"][0]["action"] == "delete"]
    world.oss_event(world.oss.finish(delete["id"], world.clock.now))
    world.oss.services[ended_service]["state"] = "active"
    found = sorted(kinds(world), key=str)
    assert found == sorted(
        [
            ("unlinked", lost, lost_service),
            ("state", off, off_service),
            ("missing", gone, gone_service),
            ("orphan", None, ended_service),
        ],
        key=str,
    )
    divergences = world.run(world.bridge.reconciler.compare())
    repairs = world.run(world.bridge.reconciler.repair(divergences))
    assert len(repairs) == 4
    again = world.run(world.bridge.reconciler.repair(world.run(world.bridge.reconciler.compare())))
    assert sum("on its way already" in line for line in again) == 2  # the re-add and the delete not ordered twice
    world.send()
    posted = {o["externalId"]: o for o in world.oss.orders.values()}
    readd, removal = posted[f"{gone}:add:1"], posted[f"{ended_service}:delete:1"]
    assert removal["serviceOrderItem"][0] == {"id": "1", "action": "delete", "service": {"id": ended_service}}
    fix = next(o for k, o in posted.items() if k.startswith(f"{off}:state:"))
    assert fix["serviceOrderItem"][0]["service"] == {"id": off_service, "state": "active"}
    world.clock.now += timedelta(minutes=1)
    for order in (readd, removal, fix):
        world.oss_event(world.oss.finish(order["id"], world.clock.now))
    assert kinds(world) == []
    link = world.bridge.ctx.store.link(gone)
    assert link is not None and link.service_id not in (gone_service, "") and link.network_state == "active"
