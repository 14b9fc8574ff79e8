"""SSH CLI driver (netmiko): show commands parsed per platform, guarded configuration changes.

A configuration change is all or nothing, although a CLI applies it line by line: the running
configuration is captured before, and when any line is refused (``% Invalid``/``% Unknown``) the
driver computes the commands that lead back to the captured configuration, applies them, reads the
configuration again to prove it is unchanged, and raises :class:`ConfigurationRejectedError` with
the device's own message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from adapters.blocking import BlockingRunner, DeviceSession
from adapters.cli import frrconf, ping, session
from adapters.cli.parsers import frr as frr_parsers
from adapters.cli.parsers import ios as ios_parsers
from adapters.contract import BaseDriver, Capability
from adapters.errors import AdapterError, ConfigurationRejectedError, UnsupportedOperationError
from adapters.models import (
    CommitResult,
    ConfigDiff,
    DeviceFacts,
    InterfaceInfo,
    PingResult,
    Platform,
    Protocol,
    RoutingNeighbor,
    RunningConfig,
)
from adapters.target import DeviceTarget

RESTORE_ATTEMPTS = 3


def apply_guarded(connection: Any, lines: Sequence[str], device: str, before: str | None = None) -> str:
    """Apply ``lines`` in configuration mode; on a refused line restore the configuration from before.

    Runs in a worker thread with the device's lock held, so nothing else changes the device's
    configuration between the capture and the restore; a caller holding the device for longer (an
    activation) passes the configuration it read as ``before``. Returns the session output.
    """
    before = running_config(connection) if before is None else before
    output = session.push_config(connection, lines)
    refused = session.rejected_lines(output)
    if not refused:
        return output
    restored = converge(connection, frrconf.parse(before))
    message = "; ".join(dict.fromkeys(refused))
    if not restored:
        raise ConfigurationRejectedError(
            "change refused and the configuration could NOT be fully restored",
            device_message=message,
            device=device,
            operation="configure",
        )
    raise ConfigurationRejectedError(
        "change refused; configuration restored", device_message=message, device=device, operation="configure"
    )


def running_config(connection: Any) -> str:
    return session.send_show(connection, "show running-config")


def converge(connection: Any, target: frrconf.Tree) -> bool:
    """Bring the running configuration to ``target``; True once a read-back matches it.

    A removal can make later removals redundant (``no neighbor X remote-as`` drops the neighbour's
    other lines, which then answer ``%``), so errors here are expected and a fresh diff is taken
    until nothing is left to do.
    """
    for _ in range(RESTORE_ATTEMPTS):
        current = frrconf.parse(running_config(connection))
        if frrconf.same(current, target):
            return True
        session.push_config(connection, frrconf.commands(current, target))
    return frrconf.same(frrconf.parse(running_config(connection)), target)


class CliDriver(BaseDriver):
    """One device over SSH CLI; calls run in the shared pool under the device's lock."""

    protocol: ClassVar[Protocol] = Protocol.CLI
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.FACTS,
            Capability.INTERFACES,
            Capability.ROUTING,
            Capability.CONFIG_READ,
            Capability.CONFIG_WRITE,
            Capability.CLI,
            Capability.PING,
        }
    )

    def __init__(self, target: DeviceTarget, runner: BlockingRunner, timeout_s: float | None = None) -> None:
        super().__init__(target)
        if target.ssh is None:
            raise UnsupportedOperationError("no SSH access configured", device=target.name)
        self._session: DeviceSession[Any] = session.device_session(target, runner, timeout_s)
        self._candidate: list[str] | None = None
        self._candidate_replace = False
        self._before_commit: str | None = None

    @property
    def connects(self) -> int:
        """How many SSH sessions were opened so far (a reused session does not count)."""
        return self._session.connects

    def _is_frr(self) -> bool:
        return self.target.platform == Platform.FRR

    async def _call(self, operation: str, func: Callable[[Any], Any], timeout_s: float | None = None) -> Any:
        return await self._session.call(operation, func, timeout_s)

    async def open(self) -> None:
        await self._call("open", lambda c: None)

    async def close(self) -> None:
        await self._session.close()

    async def run_command(self, command: str) -> str:
        text: str = await self._call("run_command", lambda c: session.send_show(c, command))
        return text

    async def ping(self, destination: str, *, count: int = 5) -> PingResult:
        """``count`` echoes from the device to ``destination`` (FRR's vtysh or a Linux shell), one a second."""
        if self.target.platform not in (Platform.FRR, Platform.LINUX):
            raise self._unsupported("ping")
        if not 1 <= count <= 100:
            raise AdapterError(f"count must be 1 to 100, got {count}", device=self.target.name, operation="ping")
        try:
            ping.check_destination(destination)
        except ValueError as exc:
            raise AdapterError(str(exc), device=self.target.name, operation="ping") from exc
        platform = self.target.platform
        result: PingResult = await self._call(
            "ping", lambda c: ping.ping_on(platform, c, destination, count), count + ping.REPLY_WAIT_S + 20
        )
        return result

    async def show(self, command: str) -> Any:
        """A show command's output parsed: FRR's JSON when the command asks for it, else TextFSM records."""
        text = await self.run_command(command)
        if self._is_frr():
            if command.rstrip().endswith(" json"):
                return json.loads(text)
            raise UnsupportedOperationError(f"FRR: ask for '{command} json'", device=self.target.name)
        try:
            platform = session.DEVICE_TYPES[self.target.platform]
            return ios_parsers.parse_output_records(platform=platform, command=command, data=text)
        except Exception as exc:  # ntc-templates raises a bare Exception when it has no template
            raise UnsupportedOperationError(f"no parser for '{command}': {exc}", device=self.target.name) from exc

    async def get_facts(self) -> DeviceFacts:
        if self._is_frr():
            text = await self.run_command("show version")
            return frr_parsers.parse_version(text)
        return ios_parsers.parse_version(await self.run_command("show version"))

    async def get_interfaces(self) -> list[InterfaceInfo]:
        if self._is_frr():
            return frr_parsers.parse_interfaces(await self.run_command("show interface json"))
        return ios_parsers.parse_interfaces(await self.run_command("show interfaces"))

    async def get_routing_neighbors(self) -> list[RoutingNeighbor]:
        if self._is_frr():
            return frr_parsers.parse_bgp_summary(await self.run_command("show bgp summary json"))
        return ios_parsers.parse_bgp_summary(await self.run_command("show ip bgp summary"))

    async def get_routes(self) -> list[frr_parsers.Route]:
        """The selected IPv4 routes (FRR only: it answers in JSON)."""
        if not self._is_frr():
            raise self._unsupported("get_routes")
        return frr_parsers.parse_routes(await self.run_command("show ip route json"))

    async def get_config(self) -> RunningConfig:
        return RunningConfig(await self._call("get_config", running_config))

    async def send_config(self, lines: Sequence[str], before: str | None = None) -> str:
        """Apply configuration lines now: all of them, or none (the configuration is restored, to
        ``before`` when given: the caller read it and has held the device since)."""
        device = self.target.name
        text: str = await self._call("configure", lambda c: apply_guarded(c, lines, device, before))
        return text

    async def save_config(self) -> str:
        """Write the running configuration to startup (``write memory``)."""
        text: str = await self._call("save_config", lambda c: c.save_config())
        refused = session.rejected_lines(text)
        if refused:
            raise ConfigurationRejectedError(
                "saving refused", device_message="; ".join(refused), device=self.target.name, operation="save_config"
            )
        return text

    async def restore(self, config: str) -> bool:
        """Bring the running configuration back to ``config`` (a snapshot); True once a read-back matches."""
        target = frrconf.parse(config)
        ok: bool = await self._call("restore", lambda c: converge(c, target))
        return ok

    async def load_candidate(self, config: str, *, replace: bool = False) -> ConfigDiff:
        """Keep ``config`` as the candidate (a CLI has none of its own) and show what it would change."""
        running = frrconf.parse((await self.get_config()).text)
        change = frrconf.parse(config)
        target = change if replace else frrconf.merge(running, change)
        self._candidate = [line for line in config.splitlines() if line.strip()]
        self._candidate_replace = replace
        return ConfigDiff(frrconf.diff(running, target))

    async def commit(self, *, message: str = "") -> CommitResult:
        if self._candidate is None:
            return CommitResult(committed=False, diff=ConfigDiff(""), message="no candidate loaded")
        candidate, replace, device = self._candidate, self._candidate_replace, self.target.name

        def work(connection: Any) -> tuple[str, str]:
            before = running_config(connection)
            lines = candidate
            if replace:
                lines = frrconf.commands(frrconf.parse(before), frrconf.parse("\n".join(candidate)))
            apply_guarded(connection, lines, device)
            return before, running_config(connection)

        before, after = await self._call("commit", work)
        self._candidate, self._before_commit = None, before
        diff = frrconf.diff(frrconf.parse(before), frrconf.parse(after))
        return CommitResult(committed=True, diff=ConfigDiff(diff), message=message, rollback_id="previous")

    async def discard(self) -> None:
        self._candidate = None

    async def rollback(self) -> CommitResult:
        """Restore the configuration saved before this driver's last commit."""
        if self._before_commit is None:
            return CommitResult(committed=False, diff=ConfigDiff(""), message="nothing to roll back")
        target = frrconf.parse(self._before_commit)

        def work(connection: Any) -> tuple[str, bool]:
            current = running_config(connection)
            return current, converge(connection, target)

        current, ok = await self._call("rollback", work)
        if not ok:
            raise AdapterError("rollback did not restore the previous configuration", device=self.target.name)
        self._before_commit = None
        return CommitResult(True, ConfigDiff(frrconf.diff(frrconf.parse(current), target)), "rolled back")
