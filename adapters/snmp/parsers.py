"""Pure functions from walked varbinds to the contract's result models (no I/O, tested from
recorded walks). Tables are walked column by column; :func:`table` regroups them by row index."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from datetime import datetime

from adapters.models import (
    DeviceFacts,
    InterfaceAddress,
    InterfaceCounters,
    InterfaceInfo,
    LldpNeighbor,
    OperStatus,
    RoutingNeighbor,
)
from adapters.snmp import ber, mib

Row = dict[int, ber.Value]

IF_TYPES = {
    1: "other",
    6: "ethernetCsmacd",
    24: "softwareLoopback",
    53: "propVirtual",
    131: "tunnel",
    135: "l2vlan",
    161: "ieee8023adLag",
    209: "bridge",
}
OPER = {
    1: OperStatus.UP,
    2: OperStatus.DOWN,
    3: OperStatus.TESTING,
    4: OperStatus.UNKNOWN,
    5: OperStatus.DORMANT,
    6: OperStatus.NOT_PRESENT,
    7: OperStatus.LOWER_LAYER_DOWN,
}
BGP_STATES = {1: "idle", 2: "connect", 3: "active", 4: "opensent", 5: "openconfirm", 6: "established"}
OSPF_STATES = {
    1: "down",
    2: "attempt",
    3: "init",
    4: "twoWay",
    5: "exchangeStart",
    6: "exchange",
    7: "loading",
    8: "full",
}


def table(varbinds: Iterable[ber.VarBind], entry: ber.Oid) -> dict[ber.Oid, Row]:
    """``{row index: {column: value}}`` for the varbinds under a table's entry OID."""
    rows: dict[ber.Oid, Row] = {}
    size = len(entry)
    for oid, tag, value in varbinds:
        if oid[:size] != entry or len(oid) <= size + 1 or tag in ber.EXCEPTION_TAGS:
            continue
        rows.setdefault(oid[size + 1 :], {})[oid[size]] = value
    return rows


def text(value: ber.Value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace").rstrip("\x00")
    return "" if value is None else str(value)


def mac(value: ber.Value) -> str | None:
    if not isinstance(value, bytes) or len(value) != 6 or value == b"\x00" * 6:
        return None
    return ":".join(f"{b:02x}" for b in value)


def number(value: ber.Value, default: int = 0) -> int:
    return value if isinstance(value, int) else default


# Operating system and version as sysDescr states them on common platforms; the first match wins.
# Anything else gets an empty version rather than a guess (a word of free text is not a version).
_OS_VERSIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Linux", re.compile(r"^Linux \S+ (?P<v>\S+)")),
    ("JUNOS", re.compile(r"\bJUNOS (?P<v>[0-9][^\s,]*)")),
    ("EOS", re.compile(r"\bEOS version (?P<v>[0-9]\S*)")),
    ("IOS XR", re.compile(r"\bIOS[ -]XR\b.*?\bVersion (?P<v>[0-9][^\s,\[]*)", re.DOTALL)),
    ("NX-OS", re.compile(r"\bNX-OS\b.*?\bVersion (?P<v>[0-9][^\s,]*)", re.DOTALL)),
    ("IOS", re.compile(r"\bIOS\b.*?\bVersion (?P<v>[0-9][^\s,]*)", re.DOTALL)),
    ("RouterOS", re.compile(r"^RouterOS (?P<v>[0-9]\S*)")),
    ("", re.compile(r"\bversion:? (?P<v>[0-9][^\s,;)]*)", re.IGNORECASE)),
)
_ARISTA_MODEL = re.compile(r"running on an? Arista Networks (?P<m>\S+)")


def os_version(descr: str) -> tuple[str, str]:
    """(operating system, version) from a sysDescr; empty strings for what it does not state."""
    for name, pattern in _OS_VERSIONS:
        match = pattern.search(descr)
        if match is not None:
            return name, match["v"]
    return "", ""


def facts(system: dict[ber.Oid, ber.Value], serial: str = "") -> DeviceFacts:
    """Facts from the system group: vendor from sysObjectID's enterprise, OS and version from sysDescr."""
    descr = text(system.get(mib.SYS_DESCR))
    object_id = system.get(mib.SYS_OBJECT_ID)
    vendor = ""
    if isinstance(object_id, tuple) and object_id[:6] == (1, 3, 6, 1, 4, 1) and len(object_id) > 6:
        vendor = mib.ENTERPRISES.get(object_id[6], f"enterprise {object_id[6]}")
    os_name, version = os_version(descr)
    words = descr.split()
    model = ""
    if os_name == "Linux" and len(words) > 3:
        model = words[-1]  # the machine (uname -m)
    elif (arista := _ARISTA_MODEL.search(descr)) is not None:
        model = arista["m"]
    uptime = number(system.get(mib.SYS_UPTIME)) / 100.0
    return DeviceFacts(
        hostname=text(system.get(mib.SYS_NAME)),
        vendor=vendor or os_name,
        model=model,
        os_version=f"{os_name} {version}".strip() if version else "",
        serial=serial,
        uptime_s=uptime,
    )


def interfaces(
    if_rows: dict[ber.Oid, Row], ifx_rows: dict[ber.Oid, Row], addresses: dict[int, list[InterfaceAddress]]
) -> list[InterfaceInfo]:
    """IF-MIB ifTable + ifXTable rows to interfaces; ifName preferred over ifDescr, ifHighSpeed over ifSpeed."""
    out = []
    for index, row in sorted(if_rows.items()):
        ifindex = index[0]
        x = ifx_rows.get(index, {})
        high = number(x.get(15), -1)
        speed = high * 1_000_000 if high > 0 else number(row.get(5), -1)
        out.append(
            InterfaceInfo(
                name=text(x.get(1)) or text(row.get(2)),
                index=ifindex,
                description=text(x.get(18)),
                if_type=IF_TYPES.get(number(row.get(3)), str(number(row.get(3)))),
                speed_bps=speed if speed > 0 else None,
                mtu=number(row.get(4), -1) if number(row.get(4), -1) >= 0 else None,
                mac=mac(row.get(6)),
                admin_up=number(row.get(7)) == 1,
                oper_status=OPER.get(number(row.get(8)), OperStatus.UNKNOWN),
                addresses=tuple(addresses.get(ifindex, ())),
            )
        )
    return out


def ipv4_addresses(rows: dict[ber.Oid, Row]) -> dict[int, list[InterfaceAddress]]:
    """IP-MIB ipAddrTable (IPv4): address, ifIndex, netmask."""
    out: dict[int, list[InterfaceAddress]] = {}
    for index, row in rows.items():
        mask = row.get(3)
        if len(index) != 4 or not isinstance(mask, bytes) or len(mask) != 4:
            continue
        address = ipaddress.IPv4Interface(f"{'.'.join(map(str, index))}/{ipaddress.IPv4Address(mask)}")
        out.setdefault(number(row.get(2)), []).append(InterfaceAddress(address))
    return out


def ipv6_addresses(rows: dict[ber.Oid, Row]) -> dict[int, list[InterfaceAddress]]:
    """IP-MIB ipAddressTable, IPv6 rows: the address is in the index, the prefix length ends the
    ipAddressPrefix pointer."""
    out: dict[int, list[InterfaceAddress]] = {}
    for index, row in rows.items():
        if len(index) != 18 or index[0] != 2 or index[1] != 16:
            continue
        prefix = row.get(5)
        length = prefix[-1] if isinstance(prefix, tuple) and prefix else 128
        address = ipaddress.IPv6Interface((bytes(index[2:]), length))
        out.setdefault(number(row.get(3)), []).append(InterfaceAddress(address))
    return out


def counters(
    if_rows: dict[ber.Oid, Row], ifx_rows: dict[ber.Oid, Row], uptime_s: float, read_at: datetime
) -> list[InterfaceCounters]:
    """64-bit ifXTable HC counters where the row has them, else the 32-bit ifTable ones."""
    out = []
    for index, row in sorted(if_rows.items()):
        x = ifx_rows.get(index, {})
        discontinuity = x.get(19)
        high = 6 in x and 10 in x
        # (column in ifXTable if 64-bit, column in ifTable/ifXTable if 32-bit) per field
        octets_packets = (
            (x.get(6), row.get(10)),
            (x.get(10), row.get(16)),
            (x.get(7), row.get(11)),
            (x.get(11), row.get(17)),
            (x.get(8), x.get(2)),
            (x.get(12), x.get(4)),
            (x.get(9), x.get(3)),
            (x.get(13), x.get(5)),
        )
        values = [number(hc if high else low) for hc, low in octets_packets]
        out.append(
            InterfaceCounters(
                text(x.get(1)) or text(row.get(2)),
                64 if high else 32,
                uptime_s,
                read_at,
                in_octets=values[0],
                out_octets=values[1],
                in_unicast_packets=values[2],
                out_unicast_packets=values[3],
                in_multicast_packets=values[4],
                out_multicast_packets=values[5],
                in_broadcast_packets=values[6],
                out_broadcast_packets=values[7],
                in_errors=number(row.get(14)),
                out_errors=number(row.get(20)),
                in_discards=number(row.get(13)),
                out_discards=number(row.get(19)),
                discontinuity_time=number(discontinuity) / 100.0 if isinstance(discontinuity, int) else None,
            )
        )
    return out


def _lldp_man_addresses(rows: dict[ber.Oid, Row]) -> dict[tuple[int, int], str]:
    """Remote management addresses, keyed by (local port, remote index): the address sits in the index."""
    out: dict[tuple[int, int], str] = {}
    for index in rows:
        if len(index) < 5:
            continue
        local_port, remote, subtype, length = index[1], index[2], index[3], index[4]
        raw = bytes(index[5 : 5 + length])
        if subtype == 1 and length == 4:
            out.setdefault((local_port, remote), str(ipaddress.IPv4Address(raw)))
        elif subtype == 2 and length == 16:
            out.setdefault((local_port, remote), str(ipaddress.IPv6Address(raw)))
    return out


def lldp_neighbors(
    local_ports: dict[ber.Oid, Row], remotes: dict[ber.Oid, Row], man_addresses: dict[ber.Oid, Row]
) -> list[LldpNeighbor]:
    """LLDP-MIB remote table joined with the local port table (for the local interface name)."""
    addresses = _lldp_man_addresses(man_addresses)
    out = []
    for index, row in sorted(remotes.items()):
        if len(index) < 3:
            continue
        local_port, remote = index[1], index[2]
        local = local_ports.get((local_port,), {})
        chassis = row.get(5)
        chassis_text = mac(chassis) if number(row.get(4)) == 4 else None
        out.append(
            LldpNeighbor(
                local_interface=text(local.get(3)) or text(local.get(4)) or str(local_port),
                remote_system_name=text(row.get(9)),
                remote_port=text(row.get(7)),
                remote_chassis_id=chassis_text or text(chassis),
                remote_port_description=text(row.get(8)),
                remote_management_address=addresses.get((local_port, remote)),
            )
        )
    return out


def _ipv4(value: ber.Value) -> str | None:
    return str(ipaddress.IPv4Address(value)) if isinstance(value, bytes) and len(value) == 4 else None


def bgp_neighbors(local_as: ber.Value, peers: dict[ber.Oid, Row]) -> list[RoutingNeighbor]:
    out = []
    for index, row in sorted(peers.items()):
        state = BGP_STATES.get(number(row.get(2)), "unknown")
        out.append(
            RoutingNeighbor(
                protocol="bgp",
                neighbor=".".join(map(str, index)),
                state=state,
                is_up=state == "established",
                remote_as=number(row.get(9)) or None,
                local_as=number(local_as) or None,
                router_id=_ipv4(row.get(1)),
                uptime_s=float(number(row.get(16))) if 16 in row else None,
            )
        )
    return out


def ospf_neighbors(rows: dict[ber.Oid, Row]) -> list[RoutingNeighbor]:
    out = []
    for index, row in sorted(rows.items()):
        state = OSPF_STATES.get(number(row.get(6)), "unknown")
        out.append(
            RoutingNeighbor(
                protocol="ospf",
                neighbor=".".join(map(str, index[:4])),
                state=state,
                is_up=state == "full",
                router_id=_ipv4(row.get(3)),
            )
        )
    return out


def health(processor_loads: Iterable[ber.VarBind], storage: dict[ber.Oid, Row]) -> tuple[float | None, float | None]:
    """(CPU %, memory used %) from hrProcessorLoad (averaged over CPUs) and the hrStorageRam row."""
    loads = [value for _, tag, value in processor_loads if isinstance(value, int) and tag == ber.TAG_INTEGER]
    cpu = sum(loads) / len(loads) if loads else None
    memory = None
    for row in storage.values():
        if row.get(2) == mib.HR_STORAGE_RAM:
            size, used = number(row.get(5)), number(row.get(6))
            memory = 100.0 * used / size if size > 0 else None
            break
    return cpu, memory
