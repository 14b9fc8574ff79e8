"""NAPALM driver: stock NAPALM for vendor platforms, :mod:`adapters.napalm.frr` for FRR."""

from __future__ import annotations

from adapters.blocking import BlockingRunner
from adapters.napalm.driver import NAPALM_DRIVERS, NapalmDriver
from adapters.registry import DriverRegistry
from adapters.target import DeviceTarget


def register(registry: DriverRegistry, runner: BlockingRunner) -> None:
    """Register :class:`NapalmDriver` for every platform NAPALM (or our FRR driver) supports."""

    def factory(target: DeviceTarget) -> NapalmDriver:
        return NapalmDriver(target, runner)

    for platform in NAPALM_DRIVERS:
        registry.register(platform, NapalmDriver.protocol, factory, NapalmDriver.capabilities)


__all__ = ["NapalmDriver", "register"]
