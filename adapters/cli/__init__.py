"""SSH CLI driver over netmiko, with per-platform output parsers and guarded configuration."""

from __future__ import annotations

from adapters.blocking import BlockingRunner
from adapters.cli.driver import CliDriver
from adapters.cli.linux import LinuxShellDriver
from adapters.models import Platform
from adapters.registry import DriverRegistry
from adapters.target import DeviceTarget

# Platforms whose output the parsers understand and whose configuration syntax frrconf handles.
PLATFORMS = (Platform.FRR, Platform.CISCO_IOS)


def register(registry: DriverRegistry, runner: BlockingRunner) -> None:
    """Register :class:`CliDriver` for every platform it parses, sharing ``runner``'s pool."""

    def factory(target: DeviceTarget) -> CliDriver:
        return CliDriver(target, runner)

    for platform in PLATFORMS:
        registry.register(platform, CliDriver.protocol, factory, CliDriver.capabilities)

    def linux_factory(target: DeviceTarget) -> LinuxShellDriver:
        return LinuxShellDriver(target, runner)

    # a Linux box with SSH access: a CPE configured with ip and tc (see adapters.cli.linuxconf)
    registry.register(Platform.LINUX, LinuxShellDriver.protocol, linux_factory, LinuxShellDriver.capabilities)


__all__ = ["CliDriver", "LinuxShellDriver", "register"]
