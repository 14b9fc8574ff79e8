"""kill -9 of the bridge at its failpoints, then a restart: nothing lost, nothing done twice.

The bridge runs as its own process (``oss-bss bridge run``) on a BSS database prepared here, against
the fake OSS served over HTTP; ``OSS_BSS_BRIDGE_FAILPOINT`` makes it SIGKILL itself at a point."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bss_bridge.bootstrap import Bss
from bss_bridge.bridge.failpoints import Failpoints as BridgeFailpoints
from bss_bridge.domain import billing_commands as bc
from bss_bridge.domain import commands
from bss_bridge.domain.party import AccountTerms, BillCycle
from bss_bridge.domain.requests import OrderRequest
from bss_bridge.domain.subscription import SubscriptionStatus
from bss_bridge.failpoints import Failpoints
from bss_bridge.service_layer.deps import Deps
from bss_bridge.storage.billing_tables import OutageRow, UsageRow
from bss_bridge.storage.bridge_store import BridgeStore
from bss_bridge.storage.incident_store import IncidentStore

from ...ports import free_port
from ..conftest import Clock, KnownInventory, make_bss
from .conftest import World
from .fake_oss import FakeOss, served
from .test_alarms import alarm
from .test_orders import active, internet

OSS_BSS = str(Path(sys.executable).parent / "oss-bss")
D = __import__("decimal").Decimal


def test_the_bss_and_the_bridge_each_read_their_own_failpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OSS_BSS_FAILPOINT", "usage-rated@2")
    monkeypatch.setenv("OSS_BSS_BRIDGE_FAILPOINT", "order-posted")
    nowhere = KnownInventory(set(), set())
    assert Failpoints().kill == {"usage-rated": 2} == Deps(nowhere).failpoints.kill
    assert BridgeFailpoints().kill == {"order-posted": 1}
    monkeypatch.delenv("OSS_BSS_FAILPOINT")
    unset = Deps(nowhere).failpoints
    unset.reach("usage-rated")  # unarmed: counted, nothing else
    assert unset.kill == {} and unset.reached["usage-rated"] == 1


@pytest.fixture
def ordered(tmp_path: Path, inventory: KnownInventory, clock: Clock) -> Iterator[tuple[Bss, str, str]]:
    """A BSS database with one acknowledged order for an internet access: (bss, order, product)."""
    bss = make_bss(f"sqlite:///{tmp_path / 'bss.db'}", tmp_path, inventory, clock)
    customer = asyncio.run(bss.handle(commands.CreateCustomer("ACME")))
    terms = AccountTerms(BillCycle(1), "Europe/Paris", D(20))
    account = asyncio.run(bss.handle(commands.OpenBillingAccount(customer.id, "main", "EUR", terms)))
    order, _ = asyncio.run(
        bss.handle(commands.SubmitProductOrder(OrderRequest(customer.id, account.id, (internet(),))))
    )
    try:
        yield bss, order.id, order.items[0].subscription_id or ""
    finally:
        bss.close()


def start(tmp_path: Path, oss_url: str, failpoint: str = "") -> tuple[subprocess.Popen[bytes], Path]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OSS_AGENT_", "OSS_BSS_"))} | {
        "OSS_AGENT_BSS_DATA_DIR": str(tmp_path),
        "OSS_AGENT_BSS_DATABASE_URL": f"sqlite:///{tmp_path / 'bss.db'}",
        "OSS_AGENT_BSS_OSS_URL": oss_url,
        "OSS_AGENT_BSS_PUBLIC_URL": oss_url,  # the BSS's hubs: none here, the poll carries everything
        "OSS_AGENT_BSS_BRIDGE_PORT": str(free_port()),
        "OSS_AGENT_BSS_BRIDGE_POLL_EVERY_S": "0.3",
        "OSS_BSS_BRIDGE_FAILPOINT": failpoint,
    }
    log = tmp_path / f"bridge-{failpoint or 'clean'}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([OSS_BSS, "bridge", "run"], env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, log


def wait_for(what: str, probe: Callable[[], Any], process: subprocess.Popen[bytes], log: Path, s: float = 90) -> Any:
    deadline = time.monotonic() + s
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        assert process.poll() is None, f"the bridge exited before {what}:\n{log.read_text()}"
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{log.read_text()}")


def killed(process: subprocess.Popen[bytes], log: Path) -> None:
    try:
        code = process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"the bridge never reached its failpoint:\n{log.read_text()}") from None
    assert code == -signal.SIGKILL, log.read_text()


def stopped(process: subprocess.Popen[bytes], log: Path) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    text = log.read_text()
    assert "Traceback" not in text, text


def status(bss: Bss, sub: str) -> tuple[SubscriptionStatus, Any]:
    with bss.uow() as uow:
        found = uow.subscriptions.get(sub)
        assert found is not None
        return found.status, found.start_date


def activations(bss: Bss) -> int:
    return [n["event"]["product"]["status"] for n in bss.hub.events("tmf637")].count("active")


def test_killed_after_the_oss_took_the_order_the_restart_orders_nothing_twice(
    ordered: tuple[Bss, str, str], tmp_path: Path
) -> None:
    bss, order_id, sub = ordered
    fake = FakeOss()
    store = BridgeStore(bss.session_factory)
    with served(fake) as url:
        process, log = start(tmp_path, url, "order-posted")
        killed(process, log)
        assert len(fake.orders) == 1  # the OSS has it; the bridge died before noting it
        request = store.request(f"{order_id}:1")
        assert request is not None and request.state == "pending"
        process, log = start(tmp_path, url)
        try:
            wait_for("the resend", lambda: (store.request(f"{order_id}:1") or request).state == "sent", process, log)
            assert len(fake.posts) == 2 and len(fake.orders) == 1  # answered 200 with the first order
            (so,) = fake.orders.values()
            fake.finish(so["id"], datetime.now(UTC), resources=("pe1",))
            wait_for("the activation", lambda: status(bss, sub)[0] is SubscriptionStatus.ACTIVE, process, log)
        finally:
            stopped(process, log)
    assert len(fake.orders) == 1 and activations(bss) == 1


def test_killed_after_the_bss_applied_the_outcome_the_restart_applies_nothing_twice(
    ordered: tuple[Bss, str, str], tmp_path: Path
) -> None:
    bss, order_id, sub = ordered
    fake = FakeOss(complete_at_once=True)
    store = BridgeStore(bss.session_factory)
    with served(fake) as url:
        process, log = start(tmp_path, url, "order-applied")
        killed(process, log)
        first = status(bss, sub)
        assert first[0] is SubscriptionStatus.ACTIVE  # the BSS has it; the request is not marked done
        request = store.request(f"{order_id}:1")
        assert request is not None and request.state != "done"
        process, log = start(tmp_path, url)
        try:
            wait_for(
                "the request settled", lambda: (store.request(f"{order_id}:1") or request).state == "done", process, log
            )
        finally:
            stopped(process, log)
    assert status(bss, sub) == first and activations(bss) == 1 and len(fake.orders) == 1


def test_killed_after_an_incident_was_stored_the_restart_tells_the_bss_once(world: World, tmp_path: Path) -> None:
    _, _, sub, _ = active(world)  # its service rides pe1
    world.run(world.bridge.aclose())
    at = datetime.now(UTC).replace(microsecond=0)
    world.oss.alarms["40"] = alarm("40", "pe1", at)
    incidents = IncidentStore(world.bss.session_factory)
    with served(world.oss) as url:
        process, log = start(tmp_path, url, "incident-opened")
        killed(process, log)
        (incident,) = incidents.incidents()
        assert [i.key for i in incidents.unsynced()] == [incident.key] and outage_rows(world) == []  # BSS not told
        process, log = start(tmp_path, url)
        try:
            wait_for("the outage", lambda: outage_rows(world) == [(sub, None)], process, log)
            world.oss.alarms["40"] = alarm("40", "pe1", at, cleared=at + timedelta(minutes=2))
            wait_for("the clear", lambda: outage_rows(world) == [(sub, at + timedelta(minutes=2))], process, log)
        finally:
            stopped(process, log)
    (resolved,) = incidents.incidents()
    assert resolved.resolved_at == at + timedelta(minutes=2)


def outage_rows(world: World) -> list[tuple[str, Any]]:
    with world.bss.session_factory() as session:
        rows = session.scalars(select(OutageRow))
        return [(r.subscription_id, r.end.replace(tzinfo=UTC) if r.end else None) for r in rows]


def test_killed_after_a_usage_import_the_restart_charges_nothing_twice(world: World, tmp_path: Path) -> None:
    _, _, sub, service = active(world)
    world.run(world.bridge.aclose())
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)  # the bridge's clock
    first = world.oss.publish(service, hour, inbound=1000, outbound=2000)
    with served(world.oss) as url:
        process, log = start(tmp_path, url, "usage-imported")
        killed(process, log)
        assert usage_rows(world) == [(first["id"], sub, 3000)]  # billing has it; the poll's mark not moved
        assert BridgeStore(world.bss.session_factory).value("usage-polled") is None
        second = world.oss.publish(service, hour + timedelta(hours=1), inbound=5, outbound=5)
        process, log = start(tmp_path, url)
        try:
            wait_for("the second record", lambda: len(usage_rows(world)) == 2, process, log)
            wait_for(
                "a poll after it", lambda: BridgeStore(world.bss.session_factory).value("usage-polled"), process, log
            )
        finally:
            stopped(process, log)
    assert usage_rows(world) == [(first["id"], sub, 3000), (second["id"], sub, 10)]
    with world.bss.session_factory() as session:  # the two hours may fall in two periods (a month's first hours)
        periods = set(session.scalars(select(UsageRow.period_start)))
    assert world.handle(bc.RateUsage()) == (2, len(periods))  # each record counted once, in its period's group


def usage_rows(world: World) -> list[tuple[str, str, int]]:
    with world.bss.session_factory() as session:
        rows = session.scalars(select(UsageRow).order_by(UsageRow.usage_id))
        return [(r.usage_id, r.product_id, (r.inbound_octets or 0) + (r.outbound_octets or 0)) for r in rows]
