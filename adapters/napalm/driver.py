"""NAPALM driver: stock NAPALM drivers for vendor platforms, the project's own for FRR.

NAPALM drivers are blocking and not thread-safe, so each call runs in the shared pool under the
device's lock, on one NAPALM driver object reused across calls and re-opened when it dies.
NAPALM's exceptions are translated here; its connection errors come from netmiko underneath,
which :mod:`adapters.cli.session` already knows how to translate.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from adapters.blocking import BlockingRunner, DeviceSession
from adapters.cli import session as cli_session
from adapters.contract import BaseDriver, Capability
from adapters.errors import (
    AdapterError,
    AuthenticationError,
    ConfigurationRejectedError,
    DeviceUnreachableError,
    UnsupportedOperationError,
)
from adapters.models import (
    CommitResult,
    ConfigDiff,
    DeviceFacts,
    InterfaceCounters,
    InterfaceInfo,
    LldpNeighbor,
    Platform,
    Protocol,
    RoutingNeighbor,
    RunningConfig,
)
from adapters.napalm import convert
from adapters.target import DeviceTarget

# Our platform names -> NAPALM's driver names (FRR's driver is ours: adapters.napalm.frr).
NAPALM_DRIVERS: dict[str, str] = {
    Platform.FRR: "frr",
    Platform.CISCO_IOS: "ios",
    Platform.ARISTA_EOS: "eos",
    Platform.JUNIPER_JUNOS: "junos",
    Platform.CISCO_NXOS: "nxos_ssh",
}


def driver_class(platform: str) -> Any:
    """The NAPALM NetworkDriver class for ``platform``."""
    name = NAPALM_DRIVERS.get(platform)
    if name is None:
        raise UnsupportedOperationError(f"no NAPALM driver for platform {platform}")
    if name == "frr":
        from adapters.napalm.frr import FRRDriver

        return FRRDriver
    from napalm import get_network_driver

    return get_network_driver(name)


def open_device(target: DeviceTarget) -> Any:
    """An opened NAPALM driver object for ``target``."""
    access = target.ssh
    if access is None:
        raise UnsupportedOperationError("no SSH access configured", device=target.name, operation="open")
    password = access.password.reveal() if access.password is not None else ""
    optional: dict[str, Any] = {"port": access.port}
    if target.platform in (Platform.CISCO_IOS, Platform.CISCO_NXOS):
        optional["secret"] = password
    if access.key_file:
        optional["key_file"] = access.key_file
    device = driver_class(target.platform)(
        target.host, access.username, password, timeout=int(access.timeout_s), optional_args=optional
    )
    device.open()
    return device


def _alive(device: Any) -> bool:
    return bool(device.is_alive().get("is_alive"))


def translator(target: DeviceTarget) -> Callable[[Exception, str], AdapterError]:
    netmiko_translate = cli_session.translator(target)

    def translate(exc: Exception, operation: str) -> AdapterError:
        from napalm.base.exceptions import (
            CommitError,
            ConnectAuthError,
            ConnectionException,
            MergeConfigException,
            ReplaceConfigException,
        )

        device = target.name
        if isinstance(exc, ConnectAuthError):
            return AuthenticationError("the device refused the credentials", device=device, operation=operation)
        if isinstance(exc, ConnectionException):
            detail = cli_session.scrub(str(exc), target)
            return DeviceUnreachableError(f"cannot reach {target.host} ({detail})", device=device, operation=operation)
        if isinstance(exc, CommitError | MergeConfigException | ReplaceConfigException):
            return ConfigurationRejectedError(
                "the device refused the change",
                device_message=cli_session.scrub(str(exc), target),
                device=device,
                operation=operation,
            )
        if isinstance(exc, NotImplementedError):
            return UnsupportedOperationError(
                str(exc) or "not implemented by the NAPALM driver", device=device, operation=operation
            )
        result: AdapterError = netmiko_translate(exc, operation)
        return result

    return translate


class NapalmDriver(BaseDriver):
    """One device through a NAPALM NetworkDriver."""

    protocol: ClassVar[Protocol] = Protocol.NAPALM
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.FACTS,
            Capability.INTERFACES,
            Capability.COUNTERS,
            Capability.LLDP,
            Capability.ROUTING,
            Capability.CONFIG_READ,
            Capability.CONFIG_WRITE,
            Capability.CLI,
        }
    )

    def __init__(self, target: DeviceTarget, runner: BlockingRunner, timeout_s: float | None = None) -> None:
        super().__init__(target)
        if target.ssh is None:
            raise UnsupportedOperationError("no SSH access configured", device=target.name)
        translate = translator(target)

        def wrapped(exc: Exception, operation: str) -> AdapterError:
            return translate(exc, operation)

        self._session: DeviceSession[Any] = DeviceSession(
            target.name,
            runner,
            timeout_s or target.ssh.timeout_s * 3,
            lambda: open_device(target),
            _alive,
            lambda device: device.close(),
            wrapped,
        )
        self._translate = translate

    @property
    def connects(self) -> int:
        return self._session.connects

    async def _call(self, operation: str, func: Callable[[Any], Any]) -> Any:
        translate = self._translate

        def guarded(device: Any) -> Any:
            from napalm.base.exceptions import CommitError, MergeConfigException, ReplaceConfigException

            try:
                return func(device)
            except (CommitError, MergeConfigException, ReplaceConfigException, NotImplementedError) as exc:
                # The device said no; the session is fine, keep it.
                raise translate(exc, operation) from exc

        return await self._session.call(operation, guarded)

    async def napalm(self, getter: str, *args: Any) -> Any:
        """Call any NAPALM method by name and return NAPALM's own result (for what the contract lacks)."""
        return await self._call(getter, lambda device: getattr(device, getter)(*args))

    async def open(self) -> None:
        await self._call("open", lambda device: None)

    async def close(self) -> None:
        await self._session.close()

    async def get_facts(self) -> DeviceFacts:
        return convert.facts(await self.napalm("get_facts"))

    async def get_interfaces(self) -> list[InterfaceInfo]:
        data, addresses = await self._call(
            "get_interfaces", lambda device: (device.get_interfaces(), device.get_interfaces_ip())
        )
        return convert.interfaces(data, addresses)

    async def get_interface_counters(self) -> list[InterfaceCounters]:
        read_at = datetime.now(UTC)
        return convert.counters(await self.napalm("get_interfaces_counters"), read_at, 0.0)

    async def get_lldp_neighbors(self) -> list[LldpNeighbor]:
        return convert.lldp(await self.napalm("get_lldp_neighbors"))

    async def get_routing_neighbors(self) -> list[RoutingNeighbor]:
        return convert.bgp(await self.napalm("get_bgp_neighbors"))

    async def get_config(self) -> RunningConfig:
        config = await self._call("get_config", lambda device: device.get_config(retrieve="running"))
        return RunningConfig(str(config["running"]))

    async def run_command(self, command: str) -> str:
        answer = await self._call("run_command", lambda device: device.cli([command]))
        return str(answer[command])

    async def load_candidate(self, config: str, *, replace: bool = False) -> ConfigDiff:
        def work(device: Any) -> str:
            if replace:
                device.load_replace_candidate(config=config)
            else:
                device.load_merge_candidate(config=config)
            return str(device.compare_config())

        return ConfigDiff(await self._call("load_candidate", work))

    async def commit(self, *, message: str = "") -> CommitResult:
        def work(device: Any) -> str:
            diff = str(device.compare_config())
            if message:  # stock drivers without commit messages refuse the argument
                device.commit_config(message=message)
            else:
                device.commit_config()
            return diff

        diff = await self._call("commit", work)
        return CommitResult(committed=True, diff=ConfigDiff(diff), message=message, rollback_id="previous")

    async def discard(self) -> None:
        await self._call("discard", lambda device: device.discard_config())

    async def rollback(self) -> CommitResult:
        await self._call("rollback", lambda device: device.rollback())
        return CommitResult(committed=True, diff=ConfigDiff(""), message="rolled back")
