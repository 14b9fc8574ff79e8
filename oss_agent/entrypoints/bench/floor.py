"""The floor of ``bench activation``: a plain script, no orchestration. It pushes each site's device
changes (netmiko ``send_config_set`` to the PE's vtysh, ncclient ``edit-config`` + ``commit`` to its
netconfd, the CE's ``ip``/``tc`` lines to its shell), the site's devices at once, every site at
once, then polls the traffic check (a ping from the site's LAN host) until it shows the change.
Sessions are opened once and kept, as the agent keeps its own.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ncclient import manager
from netmiko import ConnectHandler

from oss_agent.config.inventory import Inventory
from oss_agent.provisioning.checks import ping_command

if TYPE_CHECKING:
    from oss_agent.entrypoints.bench.activation import Timings

CHECK_DEADLINE_S = 30.0


@dataclass
class SiteChange:
    site: str
    pe: str
    ce: str
    probe: str
    target: str  # the address the site's LAN host pings
    pe_add: list[str] = field(default_factory=list)
    pe_delete: list[str] = field(default_factory=list)
    ce_add: list[str] = field(default_factory=list)
    ce_delete: list[str] = field(default_factory=list)
    netconf_add: str = ""
    netconf_delete: str = ""


def _ssh(inventory: Inventory, name: str, device_type: str, probe: bool = False) -> Any:
    if probe:
        config = next(p for p in inventory.probes if p.name == name)
        target = inventory.probe_target(config)
    else:
        target = inventory.target(name)
    assert target.ssh is not None and target.ssh.password is not None
    return ConnectHandler(
        device_type=device_type,
        host=target.host,
        username=target.ssh.username,
        password=target.ssh.password.reveal(),
        fast_cli=True,
    )


def _netconf(inventory: Inventory, name: str) -> Any:
    target = inventory.target(name)
    assert target.netconf is not None and target.netconf.password is not None
    import ncclient.transport.session as nc_session

    nc_session.TICK = 0.001  # as the agent's driver does
    return manager.connect(
        host=target.host,
        port=target.netconf.port,
        username=target.netconf.username,
        password=target.netconf.password.reveal(),
        hostkey_verify=False,
        look_for_keys=False,
        allow_agent=False,
        timeout=30,
    )


class Floor:
    def __init__(self, inventory: Inventory, changes: list[SiteChange], workers: int) -> None:
        self.changes = changes
        self.pool = ThreadPoolExecutor(workers)
        self.cli = {c.pe: _ssh(inventory, c.pe, "cisco_ios") for c in changes}
        self.netconf = {c.pe: _netconf(inventory, c.pe) for c in changes}
        self.shell = {c.ce: _ssh(inventory, c.ce, "linux") for c in changes}
        self.probes = {c.probe: _ssh(inventory, c.probe, "linux", probe=True) for c in changes}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        for session in [*self.cli.values(), *self.shell.values(), *self.probes.values()]:
            session.disconnect()
        for netconf in self.netconf.values():
            netconf.close_session()
        self.pool.shutdown()

    def _pe(self, change: SiteChange, add: bool) -> None:
        self.cli[change.pe].send_config_set(change.pe_add if add else change.pe_delete)
        xml = change.netconf_add if add else change.netconf_delete
        if xml:
            session = self.netconf[change.pe]
            session.edit_config(target="candidate", config=xml)
            session.commit()

    def _ce(self, change: SiteChange, add: bool) -> None:
        lines = change.ce_add if add else change.ce_delete
        if lines:
            self.shell[change.ce].send_command(" && ".join(lines))

    def _passes(self, change: SiteChange, expected: bool) -> bool:
        """The agent's own traffic check: the same ping."""
        command = ping_command(change.target, expect_reply=expected)
        output = self.probes[change.probe].send_command(f'{command}; echo "rc=$?"')
        return "rc=0" in output

    def _site(self, change: SiteChange, add: bool) -> tuple[float, float]:
        start = time.perf_counter()
        pushes = [self.pool.submit(self._pe, change, add), self.pool.submit(self._ce, change, add)]
        for push in pushes:
            push.result()
        pushed = time.perf_counter() - start
        deadline = time.monotonic() + CHECK_DEADLINE_S
        while self._passes(change, add) != add:
            if time.monotonic() > deadline:
                raise RuntimeError(f"floor: the check of {change.site} never showed the change")
        return pushed, time.perf_counter() - start

    def batch(self, add: bool, timings: Timings) -> None:
        """Every site at once."""
        started = time.perf_counter()
        results = [self.pool.submit(self._site, c, add) for c in self.changes]
        for result in results:
            self._record(result.result, timings)
        timings.batches.append((len(self.changes), time.perf_counter() - started))

    def alone(self, timings: Timings) -> None:
        """One site at a time: its add, then its delete (as the agent's orders one at a time)."""
        for change in self.changes:
            for add in (True, False):
                started = time.perf_counter()
                self._record(functools.partial(self._site, change, add), timings)
                timings.batches.append((1, time.perf_counter() - started))

    @staticmethod
    def _record(site: Callable[[], tuple[float, float]], timings: Timings) -> None:
        try:
            pushed, checked = site()
        except RuntimeError:
            timings.failed += 1
            return
        timings.committed.append(pushed)
        timings.confirmed.append(pushed)  # a plain push has nothing to confirm
        timings.verified.append(checked)
