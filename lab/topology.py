"""Topology files and the addressing plan, as pure functions (no I/O beyond reading the YAML).

A topology names devices and the links between them; every address is computed here from
the two subnets in :class:`~lab.model.LabOptions`, so a topology file never hard-codes an
address and the same file works with any non-overlapping plan.

Addressing plan (the link subnet is cut into /24 blocks):

- block 0: core point-to-point /31s between routers (OSPF area 0);
- block 1: access /31s between a PE and a CPE; the PE side is *planned* but left unconfigured,
  because configuring it is what a service activation does;
- blocks 2..: one customer LAN /24 per CPE (``lan0``, .1), then one /24 per host cabled to a router port
  (the router side .1, the host .10);
- the last block: router loopbacks (/32).

Hosts (``hosts:`` in a topology) are the customers' machines and the far ends that a service's
traffic checks ping from and to: a host behind a CPE sits on that CPE's LAN (.10), a host on a router
port on its own /24. They are not managed devices: the inventory lists them as ``probes``.

The management subnet gives the root namespace its first host address and each device the
host number the topology asks for (``mgmt: 11``) or the next free one from 10 upwards.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import asdict, dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lab.errors import LabError

KINDS = ("router", "cpe", "snmp")
IFNAME_MAX = 15


@dataclass(frozen=True)
class Interface:
    """One data-plane interface of a device; ``address`` is None when it is left for a service."""

    name: str
    address: str | None
    peer: str | None = None
    planned_address: str | None = None
    kind: str = "core"


@dataclass(frozen=True)
class Device:
    """One device: a namespace plus the daemons its kind implies."""

    name: str
    kind: str
    role: str
    site: str
    mgmt_host: str
    mgmt_prefixlen: int
    tags: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    loopback: str | None = None
    lan: str | None = None
    gateway: str | None = None
    interfaces: tuple[Interface, ...] = ()
    ports: int = 0


@dataclass(frozen=True)
class Host:
    """A machine on a customer LAN or behind a router port: a namespace with sshd only, a probe for traffic."""

    name: str
    attach: str  # the CPE it sits behind, or "router:ifname"
    site: str
    role: str
    mgmt_host: str
    mgmt_prefixlen: int
    address: str  # its data-plane address with prefix length
    gateway: str
    peer_device: str
    peer_if: str


@dataclass(frozen=True)
class Link:
    """A veth pair between two devices."""

    a: str
    a_if: str
    b: str
    b_if: str


@dataclass(frozen=True)
class Topology:
    """A fully resolved topology: every address decided, ready to build."""

    name: str
    bgp_asn: int
    mgmt_gateway: str
    devices: tuple[Device, ...]
    links: tuple[Link, ...]
    ibgp_peers: tuple[str, ...] = field(default=())
    hosts: tuple[Host, ...] = field(default=())

    def device(self, name: str) -> Device:
        """The device called ``name``; LabError when the topology has none."""
        for dev in self.devices:
            if dev.name == name:
                return dev
        raise LabError(f"no device {name!r} in topology {self.name!r}")

    def digest(self) -> str:
        """A stable fingerprint: equal digests mean ``up`` has nothing to change."""
        blob = json.dumps(asdict(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


def read_spec(spec: str | Path | None) -> tuple[str, dict[str, Any], dict[str, int]]:
    """Find and parse a topology: None -> default, ``name`` or ``name:N`` -> a bundled file, else a path."""
    params: dict[str, int] = {}
    if spec is None:
        spec = "default"
    if isinstance(spec, str) and "/" not in spec and not spec.endswith((".yaml", ".yml")):
        name, _, count = spec.partition(":")
        if count:
            if not count.isdigit():
                raise LabError(f"topology {spec!r}: the part after ':' must be a device count")
            params["devices"] = int(count)
        ref = resources.files("lab") / "topologies" / f"{name}.yaml"
        if not ref.is_file():
            raise LabError(f"unknown topology {name!r}: bundled ones are default, scale (scale:N)")
        text = ref.read_text()
        label = spec
    else:
        path = Path(spec)
        if not path.is_file():
            raise LabError(f"topology file {path} does not exist")
        text = path.read_text()
        label = str(path)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise LabError(f"topology {label}: expected a mapping at the top level")
    return label, data, params


def resolve(spec: str | Path | None, mgmt_subnet: str, link_subnet: str, prefix: str) -> Topology:
    """Read a topology and compute its addressing; LabError on anything inconsistent."""
    label, data, params = read_spec(spec)
    if data.get("generate_sites") is not None:
        data = _expand_sites(data, params)
    raw_devices = _expand_devices(data, params)
    raw_hosts = list(data.get("hosts") or [])
    mgmt = _network(mgmt_subnet, "mgmt_subnet")
    links_net = _network(link_subnet, "link_subnet")
    if mgmt.overlaps(links_net):
        raise LabError(f"mgmt_subnet {mgmt} overlaps link_subnet {links_net}")
    blocks = list(links_net.subnets(new_prefix=24)) if links_net.prefixlen <= 24 else []
    cpe_count = sum(1 for d in raw_devices if d.get("kind") == "cpe")
    if len(blocks) < 3 + cpe_count:
        raise LabError(f"link_subnet {links_net} is too small: need {3 + cpe_count} /24 blocks")
    names = [str(d["name"]) for d in raw_devices]
    if len(set(names)) != len(names):
        raise LabError(f"topology {label}: duplicate device names")
    mgmt_hosts = _assign_mgmt([*raw_devices, *raw_hosts], mgmt)
    for name in [*names, *(str(h.get("name")) for h in raw_hosts if isinstance(h, dict))]:
        ns_if = f"{prefix}-{name}"
        if len(ns_if) > IFNAME_MAX:
            raise LabError(f"{ns_if!r} is longer than {IFNAME_MAX} characters: use a shorter prefix or name")
    links = tuple(_parse_link(item, set(names)) for item in data.get("links") or [])
    kinds = {str(d["name"]): str(d.get("kind", "router")) for d in raw_devices}
    ifaces: dict[str, list[Interface]] = {n: [] for n in names}
    gateways: dict[str, str] = {}
    core = iter(blocks[0].subnets(new_prefix=31))
    access = iter(blocks[1].subnets(new_prefix=31))
    for link in links:
        a_cpe, b_cpe = kinds[link.a] == "cpe", kinds[link.b] == "cpe"
        if a_cpe and b_cpe:
            raise LabError(f"link {link.a}-{link.b}: two CPEs cannot be linked")
        if a_cpe or b_cpe:
            pe, pe_if, ce, ce_if = (link.b, link.b_if, link.a, link.a_if) if a_cpe else (
                link.a, link.a_if, link.b, link.b_if)
            net = next(access)
            pe_addr, ce_addr = f"{net[0]}/31", f"{net[1]}/31"
            ifaces[pe].append(Interface(pe_if, None, f"{ce}:{ce_if}", pe_addr, "access"))
            ifaces[ce].append(Interface(ce_if, ce_addr, f"{pe}:{pe_if}", None, "access"))
            gateways[ce] = str(net[0])
        else:
            net = next(core)
            ifaces[link.a].append(Interface(link.a_if, f"{net[0]}/31", f"{link.b}:{link.b_if}"))
            ifaces[link.b].append(Interface(link.b_if, f"{net[1]}/31", f"{link.a}:{link.a_if}"))
    devices = []
    router_index = cpe_index = 0
    for raw in raw_devices:
        name, kind = str(raw["name"]), str(raw.get("kind", "router"))
        loopback = lan = None
        if kind == "router":
            router_index += 1
            loopback = f"{blocks[-1][router_index]}/32"
        elif kind == "cpe":
            lan = f"{blocks[2 + cpe_index][1]}/24"
            cpe_index += 1
        if kind == "snmp":
            ifaces[name].append(Interface("swp1", f"{blocks[0][1]}/30", "swp2", f"{blocks[0][2]}/30", "port"))
        devices.append(Device(
            name=name, kind=kind, role=str(raw.get("role", kind)), site=str(raw.get("site", "lab")),
            mgmt_host=mgmt_hosts[name], mgmt_prefixlen=mgmt.prefixlen,
            tags=tuple(str(t) for t in raw.get("tags") or ()),
            groups=tuple(str(g) for g in raw.get("groups") or ()),
            loopback=loopback, lan=lan, gateway=gateways.get(name),
            interfaces=tuple(ifaces[name]), ports=int(raw.get("ports", 0)),
        ))
    routers = tuple(d.loopback.split("/")[0] for d in devices if d.loopback and d.kind == "router")
    devices, hosts = _attach_hosts(raw_hosts, devices, blocks[2 + cpe_count:-1], mgmt_hosts, mgmt.prefixlen)
    return Topology(name=label, bgp_asn=int(data.get("bgp_asn", 65000)), mgmt_gateway=str(mgmt[1]),
                    devices=tuple(devices), links=links, ibgp_peers=routers, hosts=tuple(hosts))


def _attach_hosts(raw_hosts: list[Any], devices: list[Device], blocks: list[ipaddress.IPv4Network],
                  mgmt_hosts: dict[str, str], prefixlen: int) -> tuple[list[Device], list[Host]]:
    """Place each host: on its CPE's LAN (.10), or on a router port with a /24 of its own (router .1)."""
    by_name = {d.name: d for d in devices}
    hosts: list[Host] = []
    free = iter(blocks)
    for raw in raw_hosts:
        if not isinstance(raw, dict) or "name" not in raw or "attach" not in raw:
            raise LabError(f"host entry {raw!r} needs a name and an attach (a CPE, or router:ifname)")
        name, attach = str(raw["name"]), str(raw["attach"])
        if name in by_name or any(h.name == name for h in hosts):
            raise LabError(f"host {name!r}: the name is taken")
        dev_name, _, ifname = attach.partition(":")
        dev = by_name.get(dev_name)
        if dev is None or (dev.kind == "cpe") == bool(ifname) or dev.kind == "snmp":
            raise LabError(f"host {name!r}: attach must name a CPE, or a router port as router:ifname")
        if dev.kind == "cpe":
            if dev.lan is None or any(h.peer_device == dev.name for h in hosts):
                raise LabError(f"host {name!r}: {dev.name} already has a host on its LAN")
            lan = ipaddress.ip_interface(dev.lan).network
            address, gateway, peer_if = f"{lan[10]}/{lan.prefixlen}", str(lan[1]), "lan0"
        else:
            if any(i.name == ifname for i in dev.interfaces) or len(ifname) > IFNAME_MAX:
                raise LabError(f"host {name!r}: {attach} is cabled already or not a valid port name")
            net = next(free, None)
            if net is None:
                raise LabError(f"host {name!r}: no /24 left in link_subnet for it")
            upstream = Interface(ifname, f"{net[1]}/24", f"{name}:eth0", None, "upstream")
            dev = by_name[dev.name] = replace(dev, interfaces=(*dev.interfaces, upstream))
            address, gateway, peer_if = f"{net[10]}/24", str(net[1]), ifname
        hosts.append(Host(name=name, attach=attach, site=str(raw.get("site", dev.site)),
                          role=str(raw.get("role", "customer")), mgmt_host=mgmt_hosts[name],
                          mgmt_prefixlen=prefixlen, address=address, gateway=gateway,
                          peer_device=dev.name, peer_if=peer_if))
    return [by_name[d.name] for d in devices], hosts


def _network(text: str, what: str) -> ipaddress.IPv4Network:
    try:
        net = ipaddress.ip_network(text)
    except ValueError as exc:
        raise LabError(f"{what} {text!r} is not a network: {exc}") from exc
    if not isinstance(net, ipaddress.IPv4Network):
        raise LabError(f"{what} {text!r}: the lab uses IPv4 addressing")
    return net


def _expand_devices(data: dict[str, Any], params: dict[str, int]) -> list[dict[str, Any]]:
    """Return the device list, generating it for parametric topologies such as ``scale``."""
    gen = data.get("generate")
    if gen is None:
        devices = data.get("devices")
        if not isinstance(devices, list) or not devices:
            raise LabError("a topology needs a non-empty 'devices' list or a 'generate' section")
        for dev in devices:
            if not isinstance(dev, dict) or "name" not in dev:
                raise LabError(f"device entry {dev!r} needs a name")
            if dev.get("kind", "router") not in KINDS:
                raise LabError(f"device {dev['name']}: kind must be one of {', '.join(KINDS)}")
        return [dict(d) for d in devices]
    defaults = dict(data.get("params") or {})
    defaults.update(params)
    count = int(defaults.get("devices", 10))
    if not 1 <= count <= int(gen.get("max", 500)):
        raise LabError(f"device count {count} out of range 1..{gen.get('max', 500)}")
    low, high = int(gen.get("interfaces_min", 24)), int(gen.get("interfaces_max", 48))
    out = []
    for index in range(1, count + 1):
        total = low + (index * 7) % (high - low + 1)
        out.append({
            "name": str(gen.get("name", "s{index:03d}")).format(index=index),
            "kind": str(gen.get("kind", "snmp")),
            "role": str(gen.get("role", "switch")),
            "site": str(gen.get("site", "dc{site}")).format(site=1 + (index - 1) // 50),
            "tags": list(gen.get("tags") or []),
            # lo and mgmt0 count towards the interface table; ports come in veth pairs
            "ports": (total - 2) // 2 * 2,
        })
    return out


def _expand_sites(data: dict[str, Any], params: dict[str, int]) -> dict[str, Any]:
    """``sites:N``: a core router ``p1`` with an upstream host, and N customer sites, each a PE cabled
    to p1, a CPE behind the PE and a host on the CPE's LAN (the benchmark's network)."""
    count = int(params.get("devices", (data.get("params") or {}).get("devices", 10)))
    if not 1 <= count <= int(data["generate_sites"].get("max", 60)):
        raise LabError(f"site count {count} out of range 1..{data['generate_sites'].get('max', 60)}")
    devices: list[dict[str, Any]] = [{"name": "p1", "kind": "router", "role": "p", "site": "core"}]
    links: list[list[str]] = []
    hosts: list[dict[str, Any]] = [{"name": "inet", "attach": "p1:eth0", "role": "internet", "site": "core"}]
    for index in range(1, count + 1):
        pe, ce = f"pe{index}", f"ce{index}"
        devices += [{"name": pe, "kind": "router", "role": "pe", "site": f"pop{index}", "groups": ["pe"]},
                    {"name": ce, "kind": "cpe", "role": "cpe", "site": f"customer{index}", "tags": ["customer"]}]
        links += [[f"{pe}:eth1", f"p1:eth{index}"], [f"{pe}:eth3", f"{ce}:eth1"]]
        hosts.append({"name": f"lan{index}", "attach": ce, "site": f"customer{index}"})
    return {**data, "devices": devices, "links": links, "hosts": hosts}


def _assign_mgmt(raw_devices: list[dict[str, Any]], mgmt: ipaddress.IPv4Network) -> dict[str, str]:
    usable = mgmt.num_addresses - 2
    taken: set[int] = {1}
    hosts: dict[str, str] = {}
    for dev in raw_devices:
        if "mgmt" in dev:
            index = int(dev["mgmt"])
            if index in taken or not 2 <= index <= usable:
                raise LabError(f"device {dev['name']}: mgmt host number {index} is taken or outside {mgmt}")
            taken.add(index)
            hosts[str(dev["name"])] = str(mgmt[index])
    index = 10
    for dev in raw_devices:
        if str(dev["name"]) in hosts:
            continue
        while index in taken:
            index += 1
        if index > usable:
            raise LabError(f"mgmt_subnet {mgmt} is too small for {len(raw_devices)} devices (use a /22 for 500)")
        taken.add(index)
        hosts[str(dev["name"])] = str(mgmt[index])
    return hosts


def _parse_link(item: Any, names: set[str]) -> Link:
    if not (isinstance(item, list) and len(item) == 2):
        raise LabError(f"link {item!r}: expected [device:ifname, device:ifname]")
    ends = []
    for end in item:
        dev, _, ifname = str(end).partition(":")
        if dev not in names or not ifname or len(ifname) > IFNAME_MAX or ifname in ("lo", "mgmt0"):
            raise LabError(f"link end {end!r}: unknown device or bad interface name")
        ends.append((dev, ifname))
    return Link(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
