"""NETCONF driver over ncclient: ietf-interfaces state, candidate workflow, notifications."""

from __future__ import annotations

from adapters.blocking import BlockingRunner
from adapters.netconf.driver import NetconfDriver
from adapters.netconf.notify import Notification, Subscription
from adapters.registry import ANY_PLATFORM, DriverRegistry
from adapters.target import DeviceTarget


def register(registry: DriverRegistry, runner: BlockingRunner) -> None:
    """Register :class:`NetconfDriver` for every platform: NETCONF's YANG models do not depend on the OS."""

    def factory(target: DeviceTarget) -> NetconfDriver:
        return NetconfDriver(target, runner)

    registry.register(ANY_PLATFORM, NetconfDriver.protocol, factory, NetconfDriver.capabilities)


__all__ = ["NetconfDriver", "Notification", "Subscription", "register"]
