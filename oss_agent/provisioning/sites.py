"""Sites to devices: the CPE of a site, its uplink's PE and ports (as discovery found them), the probe
behind it; and the validation of an order's items that needs them, touching nothing.

The devices a service touches are derived, never named by the order: a site characteristic names
an inventory site; its CPE is the device of role ``cpe`` there; the PE and both ports are the two
ends of the CPE's uplink as discovery found it (LLDP); the customer LAN host (a probe) is the one
attached to that CPE.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from oss_agent.config.inventory import Inventory, ProbeConfig
from oss_agent.domain.addressing import Claim, conflict, host_claim
from oss_agent.domain.catalog import Problem, Value
from oss_agent.domain.discovery import AddressState
from oss_agent.domain.errors import DomainError
from oss_agent.domain.model import Link
from oss_agent.domain.service import Service, ServiceState
from oss_agent.domain.service_order import ItemAction, ServiceOrder, ServiceOrderItem
from oss_agent.provisioning.catalog import Catalog


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One site of a service, resolved to devices, ports and the probe behind it."""

    name: str
    site: str
    lan: str
    ce: str
    ce_port: str
    pe: str
    pe_port: str
    probe: str | None = None
    probe_address: str | None = None
    link: Mapping[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "site": self.site,
            "lan": self.lan,
            "ce": self.ce,
            "ce_port": self.ce_port,
            "pe": self.pe,
            "pe_port": self.pe_port,
            "probe": self.probe,
            "probe_address": self.probe_address,
            "link": dict(self.link),
        }


class Resolver:
    """Sites to endpoints, from the inventory and the discovered links (and addresses, per device)."""

    def __init__(
        self,
        inventory: Inventory,
        links: Iterable[Link],
        addresses: Mapping[str, Iterable[AddressState]] | None = None,
    ) -> None:
        self.inventory = inventory
        self.links = list(links)
        self.addresses = {device: list(found) for device, found in (addresses or {}).items()}

    def endpoint(self, name: str, site: str, lan: str) -> Endpoint:
        ces = [d for d in self.inventory.devices if d.site == site and d.role == "cpe"]
        if not ces:
            raise DomainError(f"no CPE (role cpe) at site {site!r} in the inventory")
        ce = ces[0]
        if ce.ssh is None:
            raise DomainError(f"the CPE {ce.name} at site {site!r} has no SSH access: it cannot be configured")
        names = set(self.inventory.names())
        uplinks = [
            (link.b if link.a.device == ce.name else link.a, link.a if link.a.device == ce.name else link.b)
            for link in self.links
            if ce.name in (link.a.device, link.b.device)
        ]
        uplinks = [(far, near) for far, near in uplinks if far.device in names]
        if not uplinks:
            raise DomainError(f"no discovered uplink for {ce.name} (site {site!r}): run 'oss-agent discover' first")
        far, near = sorted(uplinks, key=lambda pair: (pair[0].device, pair[0].interface))[0]
        probe = self.probe_behind(ce.name)
        return Endpoint(
            name,
            site,
            lan,
            ce.name,
            near.interface,
            far.device,
            far.interface,
            probe.name if probe else None,
            probe.address if probe else None,
        )

    def probe_behind(self, device: str) -> ProbeConfig | None:
        return next((p for p in self.inventory.probes if p.attached_to == device), None)

    def probe(self, role: str) -> ProbeConfig | None:
        return next((p for p in self.inventory.probes if p.role == role), None)

    def claims(self) -> list[Claim]:
        """The inventory's own addresses: devices' and probes' management hosts, probes' addresses
        (a probe's address belongs to the site of the device it is attached to: its LAN holds it), and
        the addresses discovery found on the devices."""
        sites = {d.name: d.site for d in self.inventory.devices}
        out = [host_claim(d.host, f"the management address of {d.name}") for d in self.inventory.devices]
        for probe in self.inventory.probes:
            out.append(host_claim(probe.host, f"the management address of probe {probe.name}"))
            site = sites.get(probe.attached_to or "") or probe.site
            claim = host_claim(probe.address, f"the address of probe {probe.name}")
            out.append(Claim(claim.network, claim.what, site or "") if claim else None)
        return [*(c for c in out if c is not None), *self.discovered_claims()]

    def discovered_claims(self) -> list[Claim]:
        """The networks of the addresses discovery found on the devices' interfaces. Those of every
        device but a CPE (core links, loopbacks, the ports of probes cabled to a router) are the
        provider's: a LAN over them would pull the network's own traffic to a customer. A CPE's belong
        to its site (its LAN side is in that very LAN, which a modify or a redeploy names again), but
        for its management network, the provider's. A PE's port toward a CPE holds only what a service
        configures there, the access link's address from the provider's pool: no LAN overlaps it."""
        out: list[Claim] = []
        for device in self.inventory.devices:
            management = host_claim(device.host, "")
            for found in self.addresses.get(device.name, ()):
                try:
                    network = ipaddress.IPv4Interface(found.address).network
                except ValueError:  # IPv6: no customer LAN is one
                    continue
                managed = management is not None and management.network.subnet_of(network)
                site = device.site if device.role == "cpe" and not managed else ""
                what = f"the address {found.address} of {device.name} interface {found.interface}"
                out.append(Claim(network, what, site))
        return out


HOLDING = tuple(s.value for s in ServiceState if s is not ServiceState.TERMINATED)  # a LAN is held in these


def lan_claims(catalog: Catalog, services: Iterable[Service], exclude: str | None) -> list[Claim]:
    """The provider's pools and the LANs of every service not terminated (but ``exclude``)."""
    out = [
        Claim(ipaddress.IPv4Network(pool.prefix), f"the provider's pool {pool.name} ({pool.description or pool.kind})")
        for pool in catalog.pools.values()
        if pool.kind == "ipv4"
    ]
    for service in services:
        spec = catalog.specs.get(service.spec_id)
        if service.id == exclude or service.state is ServiceState.TERMINATED or spec is None:
            continue
        for endpoint in spec.endpoints:
            site, lan = service.characteristics.get(endpoint.site), service.characteristics.get(endpoint.lan)
            if isinstance(lan, str):
                what = f"the LAN of service {service.id} at site {site}"
                out.append(Claim(ipaddress.IPv4Network(lan), what, str(site)))
    return out


def order_claims(
    catalog: Catalog,
    items: Iterable[tuple[str, ServiceOrderItem]],
    services: Mapping[str, Service],
    exclude: str | None,
) -> list[Claim]:
    """The LANs the open orders' items will hold (but those of service ``exclude``): an order holds
    its LAN from its acceptance, not from its completion; a failed or cancelled one holds nothing.
    ``items`` are (order id, item); ``services`` the live services a modify starts from."""
    out: list[Claim] = []
    for order_id, item in items:
        base = services.get(item.service_id or "")
        if item.action not in (ItemAction.ADD, ItemAction.MODIFY) or (exclude and item.service_id == exclude):
            continue
        spec = catalog.specs.get(base.spec_id if base else item.service_spec)
        if spec is None:
            continue
        values, _ = spec.values(item.characteristics, "", base=base.characteristics if base else None)
        for endpoint in spec.endpoints:
            site, lan = values.get(endpoint.site), values.get(endpoint.lan)
            if isinstance(lan, str):
                what = f"the LAN of item {item.item_id} of service order {order_id} at site {site}"
                out.append(Claim(ipaddress.IPv4Network(lan), what, str(site)))
    return out


def validate_items(
    order: ServiceOrder,
    catalog: Catalog,
    resolver_of: Callable[[], Resolver],
    services: Mapping[str, Service],
    port_holder: Callable[[str], str | None] = lambda port: None,
    held: Callable[[], Iterable[Service]] = lambda: (),
    pending: Callable[[], Iterable[tuple[str, ServiceOrderItem]]] = lambda: (),
) -> list[Problem]:
    """Every problem with the order's items, found without touching any device or pool.

    ``resolver_of`` is called only when a site must be resolved (it reads the inventory); ``held``
    gives the services whose LANs no other site may overlap, ``pending`` the items (with their
    order's id) of the open orders, whose LANs are as taken (both called once, when a LAN is
    checked; ``pending`` first: an order completed between the two reads is then seen in one of them).
    """
    problems: list[Problem] = []
    resolvers: list[Resolver] = []
    services_held: list[Service] | None = None
    pending_items: list[tuple[str, ServiceOrderItem]] = []
    ordered: list[Claim] = []  # the LANs of this order's items checked so far
    for index, item in enumerate(order.items):
        where = f"serviceOrderItem[{index}]"
        spec = catalog.specs.get(item.service_spec)
        if spec is None and item.action is ItemAction.ADD:
            known = ", ".join(sorted(catalog.specs))
            problems.append(
                Problem(
                    f"{where}.service.serviceSpecification.id",
                    f"unknown specification {item.service_spec!r} (known: {known})",
                )
            )
            continue
        base: dict[str, Value] | None = None
        if item.action is not ItemAction.ADD:
            service = services.get(item.service_id or "")
            if service is None or service.state is ServiceState.TERMINATED:
                problems.append(
                    Problem(f"{where}.service.id", f"no live service {item.service_id!r} to {item.action.value}")
                )
                continue
            spec = catalog.specs.get(service.spec_id)
            if spec is None:
                problems.append(
                    Problem(f"{where}.service.id", f"the service's specification {service.spec_id!r} left the catalog")
                )
                continue
            if item.service_spec and item.service_spec != service.spec_id:
                problems.append(
                    Problem(
                        f"{where}.service.serviceSpecification.id",
                        f"service {service.id} is a {service.spec_id}, not {item.service_spec}",
                    )
                )
                continue
            base = dict(service.characteristics)
        assert spec is not None
        if item.action is ItemAction.DELETE:
            continue
        if item.target_state not in (None, "active", "inactive"):
            problems.append(Problem(f"{where}.service.state", "only active or inactive may be asked for"))
        values, found = spec.values(item.characteristics, f"{where}.service.serviceCharacteristic", base=base)
        problems += found
        if found:
            continue
        if not resolvers:
            resolvers.append(resolver_of())
        if services_held is None:
            pending_items = list(pending())
            services_held = list(held())
        live = {s.id: s for s in services_held}
        taken = [
            *lan_claims(catalog, services_held, item.service_id),
            *order_claims(catalog, pending_items, live, item.service_id),
            *resolvers[0].claims(),
            *ordered,
        ]
        for endpoint in spec.endpoints:
            if endpoint.lan not in values:
                continue
            lan, site = str(values[endpoint.lan]), str(values[endpoint.site])
            overlap = conflict(lan, site, taken)
            if overlap is not None:
                problems.append(Problem(f"{where}.service.serviceCharacteristic[{endpoint.lan}].value", overlap))
                continue
            claim = Claim(ipaddress.IPv4Network(lan), f"the LAN of {where} at site {site}", site)
            taken.append(claim)
            ordered.append(claim)
        for endpoint in spec.endpoints:
            field = f"{where}.service.serviceCharacteristic[{endpoint.site}].value"
            try:
                resolved = resolvers[0].endpoint(endpoint.name, str(values[endpoint.site]), str(values[endpoint.lan]))
            except DomainError as exc:
                problems.append(Problem(field, str(exc)))
                continue
            holder = port_holder(f"{resolved.ce}:{resolved.ce_port}")
            if holder is not None and holder != item.service_id:
                port = f"{resolved.ce}:{resolved.ce_port}"
                problems.append(Problem(field, f"the access port {port} carries service {holder}"))
    return problems
