"""What a notification or a poll says about faults: pure functions from observations to signals.

A :class:`FaultSignal` says "this fault is present" (raise) or "is gone" (clear), keyed by the same
reduction key whoever saw it, so a linkDown trap and a poll that finds the interface down update
one alarm, and a linkUp trap clears the alarm a poll raised. Anything not understood becomes an
event with no alarm: kept, never dropped.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import datetime

from adapters.snmp import ber, mib
from adapters.snmp.traps import Notification
from oss_agent.domain.alarm import AlarmSpec, AlarmType, Severity
from oss_agent.domain.fault import FaultSignal

IF_INDEX, IF_DESCR, IF_ADMIN, IF_OPER = (
    (1, 3, 6, 1, 2, 1, 2, 2, 1, 1),
    (1, 3, 6, 1, 2, 1, 2, 2, 1, 2),
    (1, 3, 6, 1, 2, 1, 2, 2, 1, 7),
    (1, 3, 6, 1, 2, 1, 2, 2, 1, 8),
)
IF_NAME = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)
BGP_PEER_STATE = (*mib.BGP_PEER_ENTRY, 2)
BGP_PEER_REMOTE_ADDR = (*mib.BGP_PEER_ENTRY, 7)
BGP_BACKWARD = {mib.BGP_BACKWARD_TRANSITION, (1, 3, 6, 1, 2, 1, 15, 0, 2)}
BGP_ESTABLISHED = {mib.BGP_ESTABLISHED, (1, 3, 6, 1, 2, 1, 15, 0, 1)}
OSPF_NBR_STATE = (*mib.OSPF_NBR_ENTRY, 6)
OSPF_FULL = 8

InterfaceNames = Callable[[str, int], str | None]


def link_key(device: str, interface: str) -> str:
    return f"{device}:{interface}|linkDown"


def unreachable_key(device: str) -> str:
    return f"{device}|unreachable"


def link_down_spec(device: str, interface: str, how: str) -> AlarmSpec:
    return AlarmSpec(
        link_key(device, interface),
        f"{device}:{interface}",
        AlarmType.COMMUNICATIONS,
        "linkDown",
        Severity.MAJOR,
        f"interface operationally down while administratively up ({how})",
        (device, f"{device}:{interface}"),
    )


def unreachable_spec(device: str, reason: str) -> AlarmSpec:
    return AlarmSpec(
        unreachable_key(device),
        device,
        AlarmType.COMMUNICATIONS,
        "lossOfSignal",
        Severity.CRITICAL,
        f"device unreachable: {reason}",
        (device,),
    )


def routing_key(device: str, protocol: str, neighbour: str) -> str:
    return f"{device}|{protocol}|{neighbour}"


def routing_spec(device: str, protocol: str, neighbour: str, how: str) -> AlarmSpec:
    label = "BGP session to" if protocol == "bgp" else "OSPF neighbour"
    return AlarmSpec(
        routing_key(device, protocol, neighbour),
        routing_key(device, protocol, neighbour),
        AlarmType.COMMUNICATIONS,
        f"{protocol}NeighborDown",
        Severity.MAJOR,
        f"{label} {neighbour} down ({how})",
        (device,),
    )


def _first(varbinds: tuple[ber.VarBind, ...], column: ber.Oid) -> tuple[ber.Oid, ber.Value] | None:
    for oid, _, value in varbinds:
        if oid[: len(column)] == column:
            return oid[len(column) :], value
    return None


def _text(value: ber.Value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _display_string(value: ber.Value) -> str | None:
    """``value`` as a name if it is one (a DisplayString: at most 255 printable characters), so
    that a sender's nonsense never becomes a key the database refuses (NUL, thousands of bytes)."""
    if not isinstance(value, bytes) or not value or len(value) > 255:
        return None
    text = _text(value)
    return text if text.isprintable() else None


def _interface(device: str, varbinds: tuple[ber.VarBind, ...], names: InterfaceNames) -> tuple[int | None, str]:
    found = _first(varbinds, IF_INDEX)
    index = found[1] if found and isinstance(found[1], int) else (found[0][0] if found and found[0] else None)
    for column in (IF_NAME, IF_DESCR):
        named = _first(varbinds, column)
        name = _display_string(named[1]) if named is not None else None
        if name is not None:
            return index, name
    if index is None:
        return None, "unknown"
    return index, names(device, index) or f"ifIndex{index}"


def _varbinds_detail(varbinds: tuple[ber.VarBind, ...]) -> dict[str, object]:
    return {
        ber.oid_str(o): (
            v.hex()
            if isinstance(v, bytes) and not v.isascii()
            else _text(v)
            if isinstance(v, bytes)
            else ber.oid_str(v)
            if isinstance(v, tuple)
            else v
        )
        for o, _, v in varbinds[:32]
    }


def classify(note: Notification, device: str, at: datetime, names: InterfaceNames) -> FaultSignal:
    """A decoded notification as a fault signal (an event-only signal for what raises no alarm)."""
    oid, vbs = note.trap_oid, note.varbinds
    base: dict[str, object] = {"trap_oid": ber.oid_str(oid), "source": note.source, "version": note.version}
    if oid in (mib.LINK_DOWN, mib.LINK_UP):
        index, name = _interface(device, vbs, names)
        admin = _first(vbs, IF_ADMIN)
        detail = base | {"ifIndex": index, "interface": name}
        if oid == mib.LINK_UP:
            return FaultSignal(device, "linkUp", link_key(device, name), False, "trap", at, detail=detail)
        if admin is not None and admin[1] == 2:  # shut on purpose: shown, at warning, cleared by linkUp
            spec = AlarmSpec(
                link_key(device, name),
                f"{device}:{name}",
                AlarmType.COMMUNICATIONS,
                "linkDown",
                Severity.WARNING,
                "interface administratively down (linkDown trap)",
                (device, f"{device}:{name}"),
            )
            return FaultSignal(device, "linkAdminDown", spec.reduction_key, True, "trap", at, spec, detail=detail)
        return FaultSignal(
            device,
            "linkDown",
            link_key(device, name),
            True,
            "trap",
            at,
            link_down_spec(device, name, "linkDown trap"),
            detail=detail,
        )
    if oid in (mib.COLD_START, mib.WARM_START):
        kind = "coldStart" if oid == mib.COLD_START else "warmStart"
        return FaultSignal(device, kind, unreachable_key(device), False, "trap", at, detail=base)
    if oid == mib.AUTHENTICATION_FAILURE:
        spec = AlarmSpec(
            f"{device}|authenticationFailure",
            device,
            AlarmType.PROCESSING_ERROR,
            "authenticationFailure",
            Severity.WARNING,
            "SNMP request with wrong credentials",
            (device,),
        )
        return FaultSignal(device, "authenticationFailure", spec.reduction_key, True, "trap", at, spec, detail=base)
    if oid in BGP_BACKWARD or oid in BGP_ESTABLISHED:
        peer = _first(vbs, BGP_PEER_REMOTE_ADDR) or _first(vbs, BGP_PEER_STATE)
        address = ".".join(map(str, peer[0])) if peer and len(peer[0]) == 4 else "unknown"
        if peer and isinstance(peer[1], bytes) and len(peer[1]) == 4:
            address = str(ipaddress.IPv4Address(peer[1]))
        key = routing_key(device, "bgp", address)
        if oid in BGP_ESTABLISHED:
            return FaultSignal(device, "bgpEstablished", key, False, "trap", at, detail=base | {"peer": address})
        spec = AlarmSpec(
            key,
            f"{device}|bgp|{address}",
            AlarmType.COMMUNICATIONS,
            "bgpNeighborDown",
            Severity.MAJOR,
            f"BGP session to {address} left Established",
            (device,),
        )
        return FaultSignal(
            device, "bgpBackwardTransition", key, True, "trap", at, spec, detail=base | {"peer": address}
        )
    if oid == mib.OSPF_NBR_STATE_CHANGE:
        state = _first(vbs, OSPF_NBR_STATE)
        neighbour = ".".join(map(str, state[0][:4])) if state and len(state[0]) >= 4 else "unknown"
        key = routing_key(device, "ospf", neighbour)
        detail = base | {"neighbor": neighbour, "state": state[1] if state else None}
        if state is not None and state[1] == OSPF_FULL:
            return FaultSignal(device, "ospfNbrFull", key, False, "trap", at, detail=detail)
        spec = AlarmSpec(
            key,
            f"{device}|ospf|{neighbour}",
            AlarmType.COMMUNICATIONS,
            "ospfNeighborDown",
            Severity.MAJOR,
            f"OSPF neighbour {neighbour} left Full",
            (device,),
        )
        return FaultSignal(device, "ospfNbrStateChange", key, True, "trap", at, spec, detail=detail)
    return FaultSignal(device, "unknownTrap", "", False, "trap", at, detail=base | {"varbinds": _varbinds_detail(vbs)})
