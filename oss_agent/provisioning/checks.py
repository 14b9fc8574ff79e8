"""The checks that prove a service works (or, once suspended or deleted, that it no longer does).

Operational checks read the devices (interface up, BGP sessions Established, a route present); the
traffic check pings across the service from the customer LAN host behind the site (a probe, reached
over SSH). Each check is polled until it gives the expected outcome or its deadline passes: routing
takes a moment to converge after a change. Every parameter that reaches a device is re-parsed here
(an interface name, a prefix, an address), whatever rendered it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from adapters import AdapterError, DeviceTarget, Protocol
from oss_agent.domain.service import ServiceState
from oss_agent.provisioning.devices import DriverPool
from oss_agent.provisioning.planner import CheckInstance

_IFNAME = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
# what no longer holds once a service is suspended or gone; the other checks concern the network itself
SERVICE_BOUND = frozenset({"traffic", "route"})


@dataclass(frozen=True, slots=True)
class CheckResult:
    label: str
    kind: str
    device: str
    service_id: str
    expected: str  # "pass" or "fail"
    outcome: str
    detail: str
    phase: str  # "before" (the change) or "after"
    at: datetime
    params: tuple[tuple[str, str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.expected == self.outcome

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "kind": self.kind,
            "device": self.device,
            "service": self.service_id,
            "expected": self.expected,
            "outcome": self.outcome,
            "ok": self.ok,
            "detail": self.detail,
            "phase": self.phase,
            "at": self.at.isoformat(),
            "params": [list(p) for p in self.params],
        }


def ping_command(address: str, *, expect_reply: bool) -> str:
    """The traffic check's ping (the bench's floor runs the same). Expecting a reply: an echo every
    0.1 s until the first one answers, for up to a second (a route that converges meanwhile is seen
    within 0.1 s, not after a lost echo's wait); expecting none: one echo and a fifth of a second of
    silence (the lab's round trips are microseconds). The caller polls it again until its deadline."""
    timing = "-i 0.1 -w 1" if expect_reply else "-W 0.2"
    return f"ping -n -c 1 {timing} {address}"


def expectation(kind: str, state: ServiceState) -> str | None:
    """What a check should show for a service in ``state``; None: not worth running."""
    if state is ServiceState.ACTIVE:
        return "pass"
    if kind in SERVICE_BOUND:
        return "fail"
    return "pass" if state is ServiceState.INACTIVE else None


class Checker:
    def __init__(self, drivers: DriverPool, targets: Callable[[str], DeviceTarget]) -> None:
        self.drivers = drivers
        self.targets = targets

    async def run(
        self, checks: Iterable[tuple[CheckInstance, str]], phase: str, timeout_s: float, poll_s: float = 0.1
    ) -> list[CheckResult]:
        """Each (check, expected outcome), polled until it shows that outcome or ``timeout_s`` passes."""
        return list(
            await asyncio.gather(*(self._poll(c, expected, phase, timeout_s, poll_s) for c, expected in checks))
        )

    async def _poll(
        self, check: CheckInstance, expected: str, phase: str, timeout_s: float, poll_s: float
    ) -> CheckResult:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                passed, detail = await self.once(check, expected)
            except (AdapterError, ValueError, KeyError) as exc:
                passed, detail = False, f"{type(exc).__name__}: {exc}"
            outcome = "pass" if passed else "fail"
            if outcome == expected or time.monotonic() >= deadline:
                return CheckResult(
                    check.label,
                    check.kind,
                    check.device,
                    check.service_id,
                    expected,
                    outcome,
                    detail,
                    phase,
                    datetime.now(UTC),
                    check.params,
                )
            await asyncio.sleep(poll_s)

    async def once(self, check: CheckInstance, expected: str = "pass") -> tuple[bool, str]:
        """Run a check once: (passed, what was seen)."""
        target = self.targets(check.device)
        if check.kind == "traffic":
            address = str(ipaddress.IPv4Address(check.param("target")))
            probe = self.drivers.get(target, Protocol.CLI)
            status, output = await probe.run(ping_command(address, expect_reply=expected == "pass"))
            summary = next((line for line in output.splitlines() if "packets transmitted" in line), output[-120:])
            return status == 0, f"ping {address} from {check.device}: {summary.strip()}"
        driver = self.drivers.get(target, Protocol.CLI)
        if check.kind == "interface-up":
            name = check.param("interface")
            if not _IFNAME.fullmatch(name):
                raise ValueError(f"bad interface name {name!r}")
            if target.platform == "linux":
                _, output = await driver.run(f"ip -j link show dev {name}")
                state = json.loads(output or "[{}]")[0].get("operstate", "unknown")
                return state == "UP", f"{name} is {state}"
            found = {i.name: i for i in await driver.get_interfaces()}
            if name not in found:
                return False, f"{name} not found"
            return found[name].oper_status.value == "up", f"{name} is {found[name].oper_status.value}"
        if check.kind == "bgp-established":
            neighbours = [n for n in await driver.get_routing_neighbors() if n.protocol == "bgp"]
            down = [n.neighbor for n in neighbours if not n.is_up]
            return bool(neighbours) and not down, f"{len(neighbours) - len(down)}/{len(neighbours)} BGP sessions up"
        if check.kind == "route":
            prefix = str(ipaddress.IPv4Network(check.param("prefix")))
            routes = json.loads(await driver.run_command(f"show ip route {prefix} json") or "{}")
            return prefix in routes, f"{prefix} {'present' if prefix in routes else 'absent'} on {check.device}"
        raise ValueError(f"unknown check kind {check.kind!r}")
