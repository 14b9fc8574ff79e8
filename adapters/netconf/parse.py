"""Pure readers of NETCONF replies: ietf-interfaces state to our models, rpc-errors to messages."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from lxml import etree

from adapters.models import InterfaceAddress, InterfaceCounters, InterfaceInfo, OperStatus

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"
IP_NS = "urn:ietf:params:xml:ns:yang:ietf-ip"
SYS_NS = "urn:ietf:params:xml:ns:yang:ietf-system"
NC_NS = "urn:ietf:params:xml:ns:netconf:base:1.0"

INTERFACES_STATE_FILTER = f'<interfaces-state xmlns="{IF_NS}"/>'
SYSTEM_STATE_FILTER = f'<system-state xmlns="{SYS_NS}"/>'

_COUNTERS = {
    "in-octets": "in_octets",
    "out-octets": "out_octets",
    "in-unicast-pkts": "in_unicast_packets",
    "out-unicast-pkts": "out_unicast_packets",
    "in-multicast-pkts": "in_multicast_packets",
    "out-multicast-pkts": "out_multicast_packets",
    "in-broadcast-pkts": "in_broadcast_packets",
    "out-broadcast-pkts": "out_broadcast_packets",
    "in-errors": "in_errors",
    "out-errors": "out_errors",
    "in-discards": "in_discards",
    "out-discards": "out_discards",
}


def _root(xml: str | bytes) -> Any:
    data = xml.encode() if isinstance(xml, str) else xml
    return etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True))


def _text(element: Any, tag: str, ns: str = IF_NS) -> str | None:
    found = element.find(f"{{{ns}}}{tag}")
    return None if found is None or found.text is None else str(found.text).strip()


def _interfaces(xml: str | bytes) -> list[Any]:
    return list(_root(xml).iter(f"{{{IF_NS}}}interfaces-state"))


def _oper(value: str | None) -> OperStatus:
    try:
        return OperStatus(value or "unknown")
    except ValueError:
        return OperStatus.UNKNOWN


def interfaces(xml: str | bytes) -> list[InterfaceInfo]:
    """ietf-interfaces ``interfaces-state`` (RFC 7223) as InterfaceInfo; absent leaves stay unknown."""
    result = []
    for state in _interfaces(xml):
        for entry in state.findall(f"{{{IF_NS}}}interface"):
            addresses = []
            for family in ("ipv4", "ipv6"):
                for address in entry.iterfind(f"{{{IP_NS}}}{family}/{{{IP_NS}}}address"):
                    ip, length = _text(address, "ip", IP_NS), _text(address, "prefix-length", IP_NS)
                    if ip and length:
                        addresses.append(InterfaceAddress(ipaddress.ip_interface(f"{ip}/{length}")))
            speed, index = _text(entry, "speed"), _text(entry, "if-index")
            admin = _text(entry, "admin-status")
            result.append(
                InterfaceInfo(
                    name=_text(entry, "name") or "",
                    index=int(index) if index else None,
                    if_type=(_text(entry, "type") or "").split(":")[-1],
                    speed_bps=int(speed) if speed else None,
                    mac=_text(entry, "phys-address"),
                    admin_up=admin != "down",
                    oper_status=_oper(_text(entry, "oper-status")),
                    addresses=tuple(addresses),
                )
            )
    return result


def counters(xml: str | bytes, read_at: datetime, device_uptime_s: float = 0.0) -> list[InterfaceCounters]:
    """The ``statistics`` container of each interface; ietf-interfaces counters are 64-bit."""
    result = []
    for state in _interfaces(xml):
        for entry in state.findall(f"{{{IF_NS}}}interface"):
            stats = entry.find(f"{{{IF_NS}}}statistics")
            if stats is None:
                continue
            values: dict[str, int] = {}
            for leaf, field in _COUNTERS.items():
                text = _text(stats, leaf)
                if text is not None:
                    values[field] = int(text)
            result.append(
                InterfaceCounters(
                    name=_text(entry, "name") or "",
                    counter_bits=64,
                    device_uptime_s=device_uptime_s,
                    read_at=read_at,
                    **values,
                )
            )
    return result


def pretty(xml: str | bytes) -> str:
    """Indented XML, so two configurations diff line by line."""
    root = _root(xml)
    data = root.find(f"{{{NC_NS}}}data")
    target = data if data is not None else root
    etree.indent(target, space="  ")
    return "\n".join(etree.tostring(child, encoding="unicode") for child in target) + "\n"


def rpc_error_message(tag: str | None, message: str | None, path: str | None, info: str | None) -> str:
    """One line out of an rpc-error: the device's message, its tag, the element it points at."""
    parts = [message or "rpc-error"]
    if tag:
        parts.append(f"[{tag}]")
    if info:
        bad = _bad_element(info)
        if bad:
            parts.append(f"bad-element {bad}")
    if path:
        parts.append(f"at {path}")
    return " ".join(parts)


def _bad_element(info: str) -> str | None:
    try:
        root = _root(info)
    except etree.XMLSyntaxError:
        return None
    found = root.find(f"{{{NC_NS}}}bad-element")
    return None if found is None else found.text


def replacement(wanted: str, current: str) -> str:
    """An ``<config>`` that turns ``current`` into ``wanted`` with explicit operations.

    yuma123 treats ``default-operation=replace`` as a merge at the top level (elements absent from
    the new configuration stay), so each top-level element is marked ``replace`` and each element
    only ``current`` has is marked ``remove``. Both arguments are configuration XML fragments or
    replies (``<data>``/``<config>`` children are used).
    """
    operation = f"{{{NC_NS}}}operation"
    config = etree.Element(f"{{{NC_NS}}}config", nsmap={"nc": NC_NS})
    kept = set()
    for child in _top_level(wanted):
        child.set(operation, "replace")
        kept.add(child.tag)
        config.append(child)
    for child in _top_level(current):
        if child.tag not in kept:
            config.append(etree.Element(child.tag, {operation: "remove"}))
    return str(etree.tostring(config, encoding="unicode"))


def _top_level(xml: str) -> list[Any]:
    text = xml.strip()
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1]
    nodes: list[Any] = list(_root(f"<wrapper>{text}</wrapper>"))
    while len(nodes) == 1 and etree.QName(nodes[0]).localname in ("rpc-reply", "data", "config"):
        nodes = list(nodes[0])
    return [node for node in nodes if isinstance(node.tag, str)]
