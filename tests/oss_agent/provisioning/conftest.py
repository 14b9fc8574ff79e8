"""Provisioning against the session lab: one agent per module (sessions reused, discovery done once),
the devices' raw configurations read the lab's own way, and every device put back after each test.

After each test, whatever it did or failed to do, every device is restored to the configuration it
had before the module started (through the agent's own restore paths, then verified), and the
services it left are forgotten, so each test starts from the lab as built.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ncclient import manager
from ncclient.operations.errors import TimeoutExpiredError
from sqlalchemy import delete, update

from adapters.blocking import BlockingRunner
from adapters.defaults import build_registry
from adapters.errors import DeviceTimeoutError
from lab import faults
from lab.pytest_plugin import LabHandle
from oss_agent.bootstrap import Agent, bootstrap
from oss_agent.config import AgentSettings
from oss_agent.discovery.service import discover_all
from oss_agent.domain.service_order import FINAL
from oss_agent.provisioning.configmodels import NETCONF, cli_model
from oss_agent.provisioning.devices import DeviceHandle
from oss_agent.provisioning.request import read_order
from oss_agent.storage.orm import ServiceOrderRow
from oss_agent.storage.provisioning_tables import DeviceLeaseRow, PoolAllocationRow, ServiceRenderingRow, ServiceRow

REPO = Path(__file__).resolve().parents[3]
DATA = Path(__file__).parent / "data"
DEVICES = ("pe1", "pe2", "p1", "ce1", "ce2")
CHANGED = ("pe1", "pe2", "ce1", "ce2")  # the devices services touch


def make_catalog(directory: Path) -> Path:
    """The shipped catalog plus the broken specifications of the tests."""
    shutil.copytree(REPO / "config" / "services", directory)
    shutil.copytree(DATA / "catalog", directory, dirs_exist_ok=True)
    return directory


@dataclass
class Prov:
    agent: Agent
    runner: BlockingRunner
    lab: LabHandle
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    @property
    def ctx(self) -> Any:
        assert self.agent.provisioning is not None
        return self.agent.provisioning

    def submit(self, body: dict[str, Any]) -> str:
        return str(self.run(self.agent.bus.handle(read_order(body))).result.order_id)

    def execute(self, order_id: str, log: list[tuple[str, str, str]] | None = None) -> str:
        def say(device: str, phase: str, detail: str) -> None:
            if log is not None:
                log.append((device, phase, detail))

        return str(self.run(self.ctx.activator.execute(order_id, progress=say)))

    def order(self, order_id: str) -> Any:
        with self.ctx.uow() as uow:
            return uow.orders.get(order_id), uow.resource_orders.of_order(order_id), uow.orders.journal(order_id)[1]

    def service(self, service_id: str) -> Any:
        with self.ctx.uow() as uow:
            return uow.services.get(service_id)


def ns(lab: LabHandle, device: str) -> str:
    return f"{lab.options.prefix}-{device}"


NETCONF_ATTEMPTS = 3  # a read or restore netconfd answered too late is tried again, on a new session


def vtysh(lab: LabHandle, device: str, command: str) -> str:
    """vtysh in the device's namespace under the device's hostname (vtysh shows its own host's name)."""
    run_dir = lab.options.run_dir / device / "frr"
    args = [arg for line in command.splitlines() for arg in ("-c", line)]
    cmd = ["ip", "netns", "exec", ns(lab, device), "unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"',
           device, "vtysh", "--vty_socket", str(run_dir), *args]
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=30).stdout


def raw_configs(lab: LabHandle) -> dict[str, str]:
    """Each device's running configuration as the lab reads it, byte for byte (not through the agent)."""
    out: dict[str, str] = {}
    for device in DEVICES:
        if device.startswith("ce"):
            script = "ip -j address show; ip -j route show table all; tc -j qdisc show"
            out[device] = subprocess.run(["ip", "netns", "exec", ns(lab, device), "sh", "-c", script],
                                         capture_output=True, text=True, check=True, timeout=30).stdout
            continue
        out[device] = vtysh(lab, device, "show running-config")
        out[device + ":netconf"] = _netconf_running(lab, device)
    return out


def _netconf_running(lab: LabHandle, device: str) -> str:
    """The running datastore read over a session of its own. netconfd answers one request at a time:
    on a loaded machine a reply may miss the 20 s deadline, so a read is tried again on a new session."""
    for attempt in range(NETCONF_ATTEMPTS):
        try:
            with manager.connect(host=lab.host(device), port=830, username=lab.secrets.ssh_user,
                                 password=lab.secrets.ssh_password, hostkey_verify=False, look_for_keys=False,
                                 allow_agent=False, timeout=20) as session:
                return str(session.get_config(source="running").data_xml)
        except TimeoutExpiredError:
            if attempt == NETCONF_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def ping(lab: LabHandle, source: str, target: str) -> bool:
    cmd = ["ip", "netns", "exec", ns(lab, source), "ping", "-n", "-c", "1", "-W", "1", target]
    return subprocess.run(cmd, capture_output=True, check=False, timeout=10).returncode == 0


def site_interconnect(**overrides: Any) -> dict[str, Any]:
    values = {"customer": "ACME", "siteA": "customer1", "siteB": "customer2", "lanA": "198.18.2.0/24",
              "lanB": "198.18.3.0/24", "bandwidthMbps": 10} | overrides
    spec = values.pop("spec", "site-interconnect")
    return {"serviceOrderItem": [{"id": "1", "action": "add", "service": {
        "name": "acme-interconnect", "serviceSpecification": {"id": spec},
        "serviceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]}}]}


def internet_access(site: str, lan: str, **extra: Any) -> dict[str, Any]:
    values = {"customer": "ACME", "site": site, "lan": lan, "bandwidthMbps": 20}
    body: dict[str, Any] = {"serviceOrderItem": [{"id": "1", "action": "add", "service": {
        "serviceSpecification": {"id": "internet-access"},
        "serviceCharacteristic": [{"name": k, "value": v} for k, v in values.items()]}}]}
    return body | extra


def modify(service_id: str, state: str | None = None, **values: Any) -> dict[str, Any]:
    characteristics = [{"name": k, "value": v} for k, v in values.items()]
    service: dict[str, Any] = {"id": service_id, "serviceCharacteristic": characteristics}
    if state:
        service["state"] = state
    return {"serviceOrderItem": [{"id": "1", "action": "modify", "service": service}]}


def delete_order(service_id: str) -> dict[str, Any]:
    return {"serviceOrderItem": [{"id": "1", "action": "delete", "service": {"id": service_id}}]}


@pytest.fixture(scope="module")
def prov(lab: LabHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prov]:
    faults.wait_converged(lab.options)
    base = tmp_path_factory.mktemp("prov")
    runner = BlockingRunner(16)
    settings = AgentSettings(
        data_dir=base, inventory_file=lab.options.inventory_path, catalog_dir=make_catalog(base / "catalog"),
        provisioning_check_timeout_s=20, device_timeout_s=10,
    )
    agent = bootstrap(settings, registry=build_registry(runner), upgrade_schema=True, runner=runner)
    loop = asyncio.new_event_loop()
    handle = Prov(agent, runner, lab, loop)
    try:
        results = handle.run(discover_all(agent))
        with agent.uow as uow:
            cabled = {end.device for link in uow.links.list() for end in (link.a, link.b)}
        assert {"ce1", "ce2"} <= cabled, {r.device: (r.errors, r.skipped) for r in results}
        yield handle
    finally:
        handle.run(handle.ctx.close())
        loop.close()
        runner.shutdown()
        agent.close()


@pytest.fixture(scope="module")
def baseline(prov: Prov) -> dict[str, str]:
    return raw_configs(prov.lab)


def restore_lab(prov: Prov, baseline: dict[str, str]) -> None:
    """Every device back to ``baseline`` (verified), and no service left in the agent's database."""
    activator = prov.ctx.activator

    async def one(device: str) -> None:
        handle = DeviceHandle(activator.target(device), activator.drivers, netconf=not device.startswith("ce"))
        if device.startswith("ce"):
            from adapters.cli import linuxconf

            wanted = linuxconf.from_state(_state_for_agent(baseline[device]))
            assert await handle.restore_cli(wanted), f"{device} not restored"
            return
        assert await handle.restore_cli(baseline[device]), f"{device} not restored"
        for attempt in range(NETCONF_ATTEMPTS):  # netconfd on a loaded machine may miss a reply's deadline
            try:
                assert await handle.restore_netconf(baseline[device + ":netconf"]), f"{device} NETCONF not restored"
                return
            except DeviceTimeoutError:  # the session was dropped: the next attempt opens another
                if attempt == NETCONF_ATTEMPTS - 1:
                    raise

    async def every() -> None:
        await asyncio.gather(*(one(d) for d in CHANGED))

    prov.run(every())
    with prov.ctx.session_factory() as session, session.begin():
        for table in (ServiceRenderingRow, PoolAllocationRow, DeviceLeaseRow):
            session.execute(delete(table))
        session.execute(update(ServiceRow).values(state="terminated"))
        session.execute(update(ServiceOrderRow).where(ServiceOrderRow.state.not_in(FINAL)).values(state="failed"))


def _state_for_agent(raw: str) -> str:
    """The lab's raw CE reading (routes of every table) as the agent's three documents (main table only)."""
    import json

    decoder = json.JSONDecoder()
    docs, index = [], 0
    while index < len(raw):
        if raw[index].isspace():
            index += 1
            continue
        doc, index = decoder.raw_decode(raw, index)
        docs.append(doc)
    addresses, routes, qdiscs = docs
    main = [r for r in routes if r.get("table", "main") == "main" and r.get("type", "unicast") == "unicast"]
    return "\n\n".join(json.dumps(d) for d in (addresses, main, qdiscs))


def same_as(baseline: dict[str, str], now: dict[str, str]) -> list[str]:
    """Devices whose configuration differs from ``baseline`` once normalised (FRR, ip/tc, NETCONF items)."""
    differ = []
    for key, text in baseline.items():
        device, _, part = key.partition(":")
        if part == "netconf":
            same = NETCONF.same(text, now[key])
        elif device.startswith("ce"):
            model = cli_model("linux")
            from adapters.cli import linuxconf

            same = linuxconf.from_state(_state_for_agent(text)) == linuxconf.from_state(_state_for_agent(now[key]))
            assert model is not None
        else:
            same = cli_model("frr").same(text, now[key])
        if not same:
            differ.append(key)
    return differ


@pytest.fixture
def clean(prov: Prov, baseline: dict[str, str]) -> Iterator[None]:
    try:
        yield
    finally:
        restore_lab(prov, baseline)
