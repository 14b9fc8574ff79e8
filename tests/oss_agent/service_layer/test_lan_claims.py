"""A customer LAN is held from the moment its order is accepted: two orders accepted at once never
claim one LAN, an order waiting to run holds its LAN against later ones, and an order cancelled or
failed gives it back. On SQLite and on PostgreSQL, with real threads racing real transactions.

The devices of this inventory do not exist (127.0.0.x): acceptance touches none of them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from oss_agent.bootstrap import Agent, bootstrap, device_specs
from oss_agent.config import AgentSettings, load_inventory
from oss_agent.domain.catalog import OrderRejectedError
from oss_agent.domain.commands import CancelServiceOrder, SyncInventory
from oss_agent.domain.discovery import AddressState
from oss_agent.domain.model import Link, LinkEnd
from oss_agent.domain.service import Service, ServiceState
from oss_agent.domain.service_order import OrderState
from oss_agent.provisioning import finalize
from oss_agent.provisioning.context import ProvisioningContext
from oss_agent.provisioning.operations import service_order
from oss_agent.provisioning.request import read_order
from oss_agent.provisioning.sites import Resolver
from oss_agent.service_layer.provisioning_handlers import Accepted, submit_service_order
from oss_agent.service_layer.unit_of_work import SqlAlchemyUnitOfWork, UnitOfWork

from ...bss_bridge.races import race

INVENTORY_YAML = """\
defaults:
  ssh: {username: oss, password: {env: PW}}
devices:
  - {name: pe1, host: 127.0.0.11, platform: frr, role: pe}
  - {name: pe2, host: 127.0.0.12, platform: frr, role: pe}
  - {name: p1, host: 127.0.0.13, platform: frr, role: p}
  - {name: ce1, host: 127.0.0.21, platform: linux, role: cpe, site: customer1}
  - {name: ce2, host: 127.0.0.22, platform: linux, role: cpe, site: customer2}
"""


def internet(site: str, lan: str) -> dict[str, Any]:
    chars = {"customer": "ACME", "site": site, "lan": lan}
    service = {
        "serviceSpecification": {"id": "internet-access"},
        "serviceCharacteristic": [{"name": k, "value": v} for k, v in chars.items()],
    }
    return {"serviceOrderItem": [{"id": "1", "action": "add", "service": service}]}


@pytest.fixture
def agent(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Agent]:
    monkeypatch.setenv("PW", "secret")
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY_YAML)
    settings = AgentSettings(data_dir=tmp_path, inventory_file=inventory, database_url=database_url)
    built = bootstrap(settings, upgrade_schema=True)
    asyncio.run(built.bus.handle(SyncInventory(device_specs(load_inventory(inventory)))))
    with built.uow as uow:  # what discovery would have found: each CE's uplink
        for ce, pe in (("ce1", "pe1"), ("ce2", "pe2")):
            uow.links.upsert(Link.between(LinkEnd(ce, "eth1"), LinkEnd(pe, "eth3")), datetime.now(UTC))
        uow.commit()
    yield built
    built.close()


def ctx_of(agent: Agent) -> ProvisioningContext:
    assert agent.provisioning is not None
    return agent.provisioning


def submit(agent: Agent, body: dict[str, Any]) -> Accepted:
    """Accept ``body`` in a unit of work of its own, as a second process (or API worker) would."""
    ctx = ctx_of(agent)
    uow = SqlAlchemyUnitOfWork(ctx.session_factory)
    return asyncio.run(submit_service_order(read_order(body), uow, ctx))


def slow_resolver(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each acceptance reads the inventory slowly: the window in which two acceptances that do not
    wait for each other both read the LANs held before either is stored."""
    ctx = ctx_of(agent)
    ctx.catalog, ctx.inventory  # noqa: B018 - loaded before the race, not inside it
    resolver = ctx.resolver

    def slow(uow: UnitOfWork) -> Resolver:
        time.sleep(0.5)
        return resolver(uow)

    monkeypatch.setattr(ctx, "resolver", slow)


def states(agent: Agent) -> dict[str, OrderState]:
    with ctx_of(agent).uow() as uow:
        return {o.id: o.state for o in uow.orders.list()}


def test_two_orders_accepted_at_once_never_claim_one_lan(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    slow_resolver(agent, monkeypatch)
    results = race(
        lambda: submit(agent, internet("customer1", "10.20.0.0/24")),
        lambda: submit(agent, internet("customer2", "10.20.0.0/25")),
    )
    accepted = [r for r in results if isinstance(r, Accepted)]
    refused = [r for r in results if isinstance(r, OrderRejectedError)]
    assert len(accepted) == 1 and len(refused) == 1, results
    message = refused[0].problems[0].message
    assert refused[0].problems[0].field == "serviceOrderItem[0].service.serviceCharacteristic[lan].value"
    assert f"of service order {accepted[0].order_id} at site" in message
    assert "overlaps 10.20.0.0/2" in message
    assert sorted(states(agent).values()) == [OrderState.ACKNOWLEDGED, OrderState.REJECTED]


def test_a_waiting_order_holds_its_lan_until_it_is_cancelled_or_fails(agent: Agent) -> None:
    first = submit(agent, internet("customer1", "10.20.0.0/24"))
    with pytest.raises(OrderRejectedError, match=f"10.20.0.0/24, the LAN of item 1 of service order {first.order_id}"):
        submit(agent, internet("customer2", "10.20.0.128/25"))
    again = submit(agent, internet("customer1", "10.20.0.0/24"))  # the same site may carry it twice
    assert again.created

    for order in (first, again):
        asyncio.run(agent.bus.handle(CancelServiceOrder(order.order_id, "changed my mind")))
    second = submit(agent, internet("customer2", "10.20.0.128/25"))  # a cancelled order holds nothing
    assert second.created

    with pytest.raises(OrderRejectedError, match=f"service order {second.order_id} at site customer2"):
        submit(agent, internet("customer1", "10.20.0.0/24"))
    finalize.failed(ctx_of(agent).uow, second.order_id, "the PE did not answer", {})
    assert submit(agent, internet("customer1", "10.20.0.0/24")).created  # nor does a failed one


DISCOVERED = {  # what discovery stored of each device's interfaces
    "pe1": [("lo", "10.255.0.1/32"), ("lo", "::1/128"), ("eth1", "10.0.0.0/31"), ("eth3", "198.19.128.0/31")],
    "p1": [("eth2", "10.0.1.1/31")],  # a router no site hangs off
    "ce1": [("eth1", "198.19.128.1/31"), ("eth2", "198.18.2.1/24")],  # its uplink, its LAN side
}


def discovered(agent: Agent) -> None:
    with ctx_of(agent).uow() as uow:
        for device, found in DISCOVERED.items():
            uow.discovery.replace_addresses(device, [AddressState(i, a) for i, a in found], datetime.now(UTC))
        uow.commit()


@pytest.mark.parametrize(
    ("site", "lan", "holder"),
    [
        ("customer1", "10.255.0.0/24", "10.255.0.1/32 of pe1 interface lo"),
        ("customer2", "10.0.0.0/30", "10.0.0.0/31 of pe1 interface eth1"),
        ("customer1", "10.0.1.0/30", "10.0.1.1/31 of p1 interface eth2"),
        ("customer2", "198.18.2.0/25", "198.18.2.1/24 of ce1 interface eth2"),  # another site's LAN side
    ],
)
def test_a_lan_over_a_discovered_address_is_refused_naming_device_and_interface(
    agent: Agent, site: str, lan: str, holder: str
) -> None:
    discovered(agent)
    with pytest.raises(OrderRejectedError) as refused:
        submit(agent, internet(site, lan))
    [problem] = refused.value.problems
    assert problem.field == "serviceOrderItem[0].service.serviceCharacteristic[lan].value"
    assert (
        problem.message == f"{lan} overlaps {ipaddress.IPv4Interface(holder.split()[0]).network}, the address {holder}"
    )


def test_a_cpes_own_lan_side_does_not_refuse_its_sites_lan_nor_a_redeploy(agent: Agent) -> None:
    discovered(agent)
    assert submit(agent, internet("customer1", "198.18.2.0/24")).created
    values = {"customer": "ACME", "site": "customer1", "lan": "198.18.2.0/24", "bandwidthMbps": 10}
    live = Service.reserve("svc-1", "acme", "internet-access", values, "o-0", "1", datetime.now(UTC))
    live.state = ServiceState.ACTIVE
    with ctx_of(agent).uow() as uow:
        uow.services.add(live)
        uow.commit()
    redeploy = service_order("svc-1", "internet-access")
    accepted = asyncio.run(
        submit_service_order(redeploy, SqlAlchemyUnitOfWork(ctx_of(agent).session_factory), ctx_of(agent))
    )
    assert accepted.created
