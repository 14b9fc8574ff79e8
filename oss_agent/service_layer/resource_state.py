"""Resource state between discoveries: what polls and traps observe changes the stored resources.

Discovery runs hourly; a link or a device can fail any second. So the state of interfaces, devices and
routing adjacencies follows the observations as they arrive:

- fault signals (traps and polls) are applied in the unit of work that applies them to alarms
  (:func:`apply_fault_signals`), so an alarm and its resource's state are committed together: a
  linkDown trap takes the interface down, an unreachable poll the device, a BGP/OSPF transition
  the adjacency (an adjacency no discovery has seen yet is added: the alarm refers to it);
- a poll's view of the interfaces (:func:`record_polled_interfaces`) sets their exact state, as the
  poller sends it whenever it changed, and adds interfaces that appeared since the last discovery.

Within one batch, only the last observation of each object counts: a flapping link is one change per
batch, not one per trap (the fault events keep every trap). Every change is a domain event on the
device, so the inventory history and the TMF639 hub see it like a change found by discovery.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from oss_agent.domain import commands
from oss_agent.domain.discovery import NeighborState
from oss_agent.domain.events import RoutingAdjacencyChanged
from oss_agent.domain.fault import FaultSignal
from oss_agent.domain.model import Device
from oss_agent.service_layer.unit_of_work import UnitOfWork

# signal kind -> the device answers (True) or not
_REACHABILITY = {"reachable": True, "coldStart": True, "warmStart": True, "unreachable": False}
# trap kind -> (oper status, admin up); a poll's link signals are not used: its own view is exact
_LINK_TRAPS = {"linkDown": ("down", True), "linkAdminDown": ("down", False), "linkUp": ("up", True)}
_ADJACENCY_KINDS = frozenset(
    {
        "bgpBackwardTransition",
        "bgpEstablished",
        "ospfNbrStateChange",
        "ospfNbrFull",
        "bgpNeighborDown",
        "bgpNeighborUp",
        "ospfNeighborDown",
        "ospfNeighborUp",
    }
)
_UP_STATE = {"bgp": "established", "ospf": "full"}
# OSPF-MIB ospfNbrState, as a trap carries it
_OSPF_STATES = {1: "down", 2: "attempt", 3: "init", 4: "twoWay", 5: "exchangeStart", 6: "exchange", 7: "loading"}


Stored = tuple[bool | None, dict[str, tuple[str, bool]]]  # reachable, interface -> (oper status, admin up)


def _target(signal: FaultSignal) -> str | None:
    """What the signal is about: ``""`` (the device), ``if:<name>`` or ``adj:<protocol>|<neighbour>``."""
    if signal.kind in _REACHABILITY:
        return ""
    if signal.kind in _LINK_TRAPS and signal.source == "trap" and ":" in signal.reduction_key:
        return "if:" + signal.reduction_key.rsplit("|", 1)[0].split(":", 1)[1]
    if signal.kind in _ADJACENCY_KINDS and signal.reduction_key.count("|") == 2:
        return "adj:" + signal.reduction_key.split("|", 1)[1]
    return None


def apply_fault_signals(uow: UnitOfWork, signals: Iterable[FaultSignal]) -> int:
    """Apply what the signals say about resources to the devices of this unit of work; returns the
    number of resource changes (the caller commits).

    What is stored is read first, without loading the devices: a storm repeating faults already
    recorded loads and writes back nothing."""
    latest: dict[tuple[str, str], FaultSignal] = {}
    for signal in signals:
        target = _target(signal)
        if target is not None:
            latest[(signal.device, target)] = signal
    if not latest:
        return 0
    stored = uow.devices.observed(device for device, _ in latest)  # a device missing: not in the inventory
    changing = [
        (name, target, signal)
        for (name, target), signal in latest.items()
        if name in stored and _changes(uow, stored[name], name, target, signal)
    ]
    if not changing:
        return 0
    devices = uow.devices.get_many(name for name, _, _ in changing)
    before = sum(len(d.events) for d in devices.values())
    for name, target, signal in changing:
        device = devices[name]
        if target == "":
            device.observe_reachability(_REACHABILITY[signal.kind], signal.at)
        elif target.startswith("if:"):
            oper, admin = _LINK_TRAPS[signal.kind]
            device.observe_interface(target[3:], oper, admin, signal.at)
        else:
            _observe_adjacency(uow, device, signal)
    return sum(len(d.events) for d in devices.values()) - before


def _changes(uow: UnitOfWork, stored: Stored, name: str, target: str, signal: FaultSignal) -> bool:
    reachable, interfaces = stored
    if target == "":
        return reachable is not _REACHABILITY[signal.kind]
    if target.startswith("if:"):
        current = interfaces.get(target[3:])
        return current is not None and current != _LINK_TRAPS[signal.kind]
    _, protocol, neighbour = signal.reduction_key.split("|")
    previous = uow.discovery.adjacency(name, protocol, neighbour)
    return previous is None or previous.is_up == signal.raised


def _observe_adjacency(uow: UnitOfWork, device: Device, signal: FaultSignal) -> None:
    _, protocol, neighbour = signal.reduction_key.split("|")
    is_up = not signal.raised
    previous = uow.discovery.adjacency(device.name, protocol, neighbour)
    if previous is not None and previous.is_up == is_up:
        return
    if is_up:
        state = _UP_STATE.get(protocol, "up")
    else:
        code = signal.detail.get("state")
        state = _OSPF_STATES.get(code, "down") if isinstance(code, int) else "down"
    interface = None if previous is None else previous.local_interface
    uow.discovery.set_adjacency(
        device.name, NeighborState(protocol, neighbour, interface, "", neighbour, state, is_up), signal.at
    )
    old = "" if previous is None else previous.state
    device.events.append(RoutingAdjacencyChanged(device.name, protocol, neighbour, old, state))


async def record_polled_interfaces(cmd: commands.RecordPolledInterfaces, uow: UnitOfWork) -> int:
    """Store a poll's view of a device's interfaces; returns the number of changes (0 for a device
    that is not stored)."""
    with uow:
        device = uow.devices.get(cmd.device)
        if device is None:
            return 0
        device.observe_interfaces(list(cmd.interfaces), cmd.at)
        changes = len(device.events)
        uow.commit()
    return changes


COMMAND_HANDLERS: dict[type[commands.Command], Callable[..., Awaitable[Any]]] = {
    commands.RecordPolledInterfaces: record_polled_interfaces,
}
