"""What discovery observed on a device, and the rules that turn two observations into change events.

Pure functions over frozen values: the handler loads the previous observation from storage, asks
here what changed, and records the events, so the rules are tested without a database or a device.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from oss_agent.domain.events import (
    DeviceFactsChanged,
    Event,
    InterfaceAddressAdded,
    InterfaceAddressRemoved,
    LldpNeighborAppeared,
    LldpNeighborLost,
    RoutingAdjacencyChanged,
)

FACT_FIELDS = ("vendor", "model", "os_version", "serial")
DISCOVERED_TAG = "discovered"
# The configurations a device may have, each versioned, diffed and approved on its own: its native
# running configuration (CLI or NAPALM, in the device's syntax) and NETCONF's running datastore (XML).
RUNNING, NETCONF = "running", "netconf"
DATASTORES = (RUNNING, NETCONF)


@dataclass(frozen=True, slots=True)
class ConfigText:
    """One configuration as read: which datastore, its text, and the protocol that read it."""

    datastore: str
    text: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class FactsState:
    vendor: str
    model: str
    os_version: str
    serial: str


@dataclass(frozen=True, slots=True)
class AddressState:
    interface: str
    address: str


@dataclass(frozen=True, slots=True)
class NeighborState:
    """An LLDP peer (``protocol == "lldp"``) or a routing adjacency (``"bgp"``, ``"ospf"``)."""

    protocol: str
    neighbor: str
    local_interface: str | None = None
    remote_port: str = ""
    remote_address: str | None = None
    state: str = ""
    is_up: bool = True

    @property
    def family(self) -> str:
        """``lldp`` or ``routing``: each family is read (and replaced) on its own."""
        return "lldp" if self.protocol == "lldp" else "routing"

    @property
    def key(self) -> str:
        """Identity across observations: an LLDP peer per local port, an adjacency per neighbour address."""
        if self.protocol == "lldp":
            return f"{self.local_interface}>{self.neighbor}:{self.remote_port}"
        return self.neighbor


def adjacency_id(device: str, protocol: str, neighbor: str) -> str:
    """A routing adjacency's resource id: ``pe1|bgp|10.0.0.2``, the managed object its alarms name."""
    return f"{device}|{protocol}|{neighbor}"


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.split("/", 1)[0])
    except ValueError:
        return None


def facing_interface(neighbor: str, addresses: Iterable[AddressState]) -> str | None:
    """The device's own interface whose subnet holds ``neighbor`` (an OSPF neighbour's address), if one does."""
    ip = _ip(neighbor)
    for a in addresses:
        try:
            network = ipaddress.ip_interface(a.address).network
        except ValueError:
            continue
        if ip is not None and ip in network and network.num_addresses > 1:
            return a.interface
    return None


def address_owner(address: str, addresses: Mapping[str, Iterable[AddressState]]) -> tuple[str, str] | None:
    """(device, interface) that holds ``address`` (a BGP peer's loopback, an OSPF neighbour's interface)."""
    ip = _ip(address)
    for device, held in addresses.items():
        for a in held:
            if ip is not None and _ip(a.address) == ip:
                return device, a.interface
    return None


def facts_changes(device: str, old: FactsState, new: FactsState) -> list[Event]:
    """One event per fact that changed; a fact the device now leaves empty is not a change."""
    found: list[Event] = []
    for name in FACT_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if after and before != after:
            found.append(DeviceFactsChanged(device, name, before, after))
    return found


def address_changes(device: str, old: Iterable[AddressState], new: Iterable[AddressState]) -> list[Event]:
    before, after = set(old), set(new)
    removed: list[Event] = [
        InterfaceAddressRemoved(device, a.interface, a.address)
        for a in sorted(before - after, key=lambda a: (a.interface, a.address))
    ]
    added: list[Event] = [
        InterfaceAddressAdded(device, a.interface, a.address)
        for a in sorted(after - before, key=lambda a: (a.interface, a.address))
    ]
    return removed + added


def neighbor_changes(device: str, old: Iterable[NeighborState], new: Iterable[NeighborState]) -> list[Event]:
    """LLDP peers appear and disappear; routing adjacencies also change state (Established -> Active)."""
    before = {(n.protocol, n.key): n for n in old}
    after = {(n.protocol, n.key): n for n in new}
    found: list[Event] = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if was is not None and now is not None:
            if was.protocol != "lldp" and was.state != now.state:
                found.append(RoutingAdjacencyChanged(device, now.protocol, now.neighbor, was.state, now.state))
            continue
        gone = now is None
        n = was if now is None else now
        assert n is not None
        if n.protocol == "lldp":
            kind = LldpNeighborLost if gone else LldpNeighborAppeared
            found.append(kind(device, n.local_interface or "", n.neighbor, n.remote_port))
        else:
            old_state, new_state = (n.state, "") if gone else ("", n.state)
            found.append(RoutingAdjacencyChanged(device, n.protocol, n.neighbor, old_state, new_state))
    return found
