"""Which driver serves which device.

Drivers register under a (platform, protocol) pair, or under ``ANY_PLATFORM`` for protocols that do
not depend on the operating system (SNMP). The protocol used for a job is a preference list, by
default :data:`DEFAULT_PREFERENCES`, overridable per deployment: the first protocol that the device has
access for and a driver is registered for wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from adapters.contract import Capability, Driver
from adapters.errors import DriverNotFoundError
from adapters.models import Protocol
from adapters.target import DeviceTarget

ANY_PLATFORM = "*"

DriverFactory = Callable[[DeviceTarget], Driver]

DEFAULT_PREFERENCES: Mapping[Capability, tuple[Protocol, ...]] = {
    Capability.FACTS: (Protocol.NAPALM, Protocol.NETCONF, Protocol.SNMP, Protocol.FAKE),
    Capability.INTERFACES: (Protocol.SNMP, Protocol.NAPALM, Protocol.NETCONF, Protocol.FAKE),
    Capability.COUNTERS: (Protocol.SNMP, Protocol.NETCONF, Protocol.NAPALM, Protocol.FAKE),
    Capability.LLDP: (Protocol.SNMP, Protocol.NAPALM, Protocol.FAKE),
    Capability.ROUTING: (Protocol.NAPALM, Protocol.CLI, Protocol.SNMP, Protocol.FAKE),
    Capability.CONFIG_READ: (Protocol.NAPALM, Protocol.CLI, Protocol.NETCONF, Protocol.FAKE),
    Capability.CONFIG_WRITE: (Protocol.NAPALM, Protocol.NETCONF, Protocol.CLI, Protocol.FAKE),
    Capability.CLI: (Protocol.CLI, Protocol.NAPALM, Protocol.FAKE),
    Capability.PING: (Protocol.CLI, Protocol.FAKE),
}


class DriverRegistry:
    """A lookup table from (platform, protocol) to a driver factory."""

    def __init__(self, preferences: Mapping[Capability, Sequence[Protocol]] | None = None) -> None:
        self._factories: dict[tuple[str, Protocol], tuple[DriverFactory, frozenset[Capability]]] = {}
        self._preferences: dict[Capability, tuple[Protocol, ...]] = dict(DEFAULT_PREFERENCES)
        if preferences:
            self._preferences.update({job: tuple(order) for job, order in preferences.items()})

    def register(
        self,
        platform: str,
        protocol: Protocol,
        factory: DriverFactory,
        capabilities: frozenset[Capability],
    ) -> None:
        """Register ``factory`` for ``platform`` (or ``ANY_PLATFORM``) over ``protocol``."""
        self._factories[(platform, protocol)] = (factory, capabilities)

    def registered(self) -> list[tuple[str, Protocol]]:
        return sorted(self._factories)

    def _entry(self, platform: str, protocol: Protocol) -> tuple[DriverFactory, frozenset[Capability]] | None:
        return self._factories.get((platform, protocol)) or self._factories.get((ANY_PLATFORM, protocol))

    def create(self, target: DeviceTarget, protocol: Protocol) -> Driver:
        """A driver for ``target`` over ``protocol``; raises if none is registered."""
        entry = self._entry(target.platform, protocol)
        if entry is None:
            raise DriverNotFoundError(
                f"no {protocol} driver registered for platform {target.platform}", device=target.name
            )
        return entry[0](target)

    def protocol_for(self, target: DeviceTarget, job: Capability) -> Protocol:
        """The protocol chosen for ``job`` on ``target``, following the preference order."""
        available = target.protocols() | {Protocol.FAKE}
        for protocol in self._preferences.get(job, ()):
            entry = self._entry(target.platform, protocol)
            if protocol in available and entry is not None and job in entry[1]:
                return protocol
        raise DriverNotFoundError(
            f"no registered driver can do {job} for platform {target.platform} "
            f"with access {sorted(p.value for p in target.protocols())}",
            device=target.name,
        )

    def for_job(self, target: DeviceTarget, job: Capability) -> Driver:
        """A driver chosen by the preference order for ``job``."""
        return self.create(target, self.protocol_for(target, job))
