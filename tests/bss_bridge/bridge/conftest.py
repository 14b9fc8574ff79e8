"""A bridge on a real BSS (its own SQLite file, the demo catalog) and a fake OSS (the TMF subset)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bss_bridge.bootstrap import Bss
from bss_bridge.bridge.context import BridgeContext
from bss_bridge.bridge.core import Bridge
from bss_bridge.bridge.failpoints import Failpoints
from bss_bridge.domain import commands
from bss_bridge.domain.order import ProductOrder
from bss_bridge.domain.party import AccountTerms, BillCycle
from bss_bridge.domain.requests import ItemRequest, OrderRequest
from bss_bridge.domain.subscription import Subscription
from bss_bridge.oss.client import OssApi, TmfClient
from bss_bridge.storage.bridge_store import BridgeStore

from ..conftest import Clock
from .fake_oss import FakeOss

D = __import__("decimal").Decimal


@dataclass
class World:
    bss: Bss
    oss: FakeOss
    bridge: Bridge
    clock: Clock
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def handle(self, command: commands.Command) -> Any:
        return self.run(self.bss.handle(command))

    def customer(self, name: str = "ACME") -> tuple[str, str]:
        customer = self.handle(commands.CreateCustomer(name))
        terms = AccountTerms(BillCycle(1), "Europe/Paris", D(20))
        account = self.handle(commands.OpenBillingAccount(customer.id, "main", "EUR", terms))
        return customer.id, account.id

    def order(self, customer: str, account: str, *items: ItemRequest) -> ProductOrder:
        placed, _ = self.handle(commands.SubmitProductOrder(OrderRequest(customer, account, items)))
        return placed  # type: ignore[no-any-return]

    def product_order(self, order_id: str) -> ProductOrder:
        with self.bss.uow() as uow:
            found = uow.orders.get(order_id)
        assert found is not None
        return found

    def subscription(self, subscription_id: str) -> Subscription:
        with self.bss.uow() as uow:
            found = uow.subscriptions.get(subscription_id)
        assert found is not None
        return found

    def hub_events(self, api: str) -> None:
        """Deliver the BSS's own hub notifications of ``api`` to the bridge, as its hub would."""
        for note in self.bss.hub.events(api):
            self.bridge.inbox.receive(f"bss:{api}", note)
        self.run(self.bridge.inbox.drain(f"bss:{api}"))

    def oss_event(self, order: dict[str, Any]) -> None:
        self.bridge.inbox.receive("oss:tmf641", self.oss.event(order))
        self.run(self.bridge.inbox.drain("oss:tmf641"))

    def send(self) -> int:
        return self.run(self.bridge.delivery.send_due())  # type: ignore[no-any-return]


def make_bridge(bss: Bss, oss: FakeOss, failpoints: str = "") -> Bridge:
    api = OssApi(TmfClient("the OSS", "http://oss.test", "secret", transport=oss.transport()))
    ctx = BridgeContext(bss, BridgeStore(bss.session_factory), api, bss.settings, Failpoints(failpoints))
    return Bridge(ctx, TmfClient("the BSS", "http://bss.test", None, transport=oss.transport()))


@pytest.fixture
def world(bss: Bss, clock: Clock) -> Iterator[World]:
    oss = FakeOss()
    loop = asyncio.new_event_loop()
    bridge = make_bridge(bss, oss)
    try:
        yield World(bss, oss, bridge, clock, loop)
    finally:
        loop.run_until_complete(bridge.aclose())
        loop.close()
