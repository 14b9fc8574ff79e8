"""From an order to what each device should hold: endpoints resolved, values checked, pools drawn,
templates rendered, checks instantiated.

The devices a service touches are derived, never named by the order: a site characteristic names
an inventory site; its CPE is the device of role ``cpe`` there; the PE and both ports are the two
ends of the CPE's uplink as discovery found it (LLDP); the customer LAN host (a probe) is the one
attached to that CPE. Validation (:func:`validate_items`) touches nothing; planning
(:meth:`Planner.plan`) takes pool values (or, for a dry run, only looks at which it would take).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from adapters import DeviceTarget
from oss_agent.config.inventory import Inventory, ProbeConfig
from oss_agent.domain.catalog import Problem, ServiceSpec, Value
from oss_agent.domain.errors import DomainError
from oss_agent.domain.model import Link
from oss_agent.domain.pools import describe
from oss_agent.domain.service import Service, ServiceState
from oss_agent.domain.service_order import ItemAction, ServiceOrder, ServiceOrderItem
from oss_agent.provisioning.catalog import Catalog
from oss_agent.storage.provisioning_repository import PoolStore, Rendering

CLI, NETCONF = "cli", "netconf"


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


@dataclass(frozen=True, slots=True)
class CheckInstance:
    """A check with its parameters rendered: where it runs and what it looks for."""

    kind: str
    device: str  # a device name, or a probe name for traffic
    params: tuple[tuple[str, str], ...]
    service_id: str
    label: str

    def param(self, name: str) -> str:
        return dict(self.params).get(name, "")


@dataclass
class ItemPlan:
    item: ServiceOrderItem
    spec: ServiceSpec
    service_id: str
    name: str
    values: dict[str, Value]
    state: ServiceState  # where the service ends: active, inactive or terminated
    endpoints: list[Endpoint]
    renderings: dict[tuple[str, str], str]  # (device, part) -> text, the new rendering (empty for delete)
    old: dict[tuple[str, str], Rendering]  # the stored rendering (modify, delete)
    checks: list[CheckInstance]
    resources: tuple[str, ...]
    allocations: dict[str, str]  # purpose -> pool value

    @property
    def devices(self) -> set[str]:
        return {d for d, _ in self.renderings} | {d for d, _ in self.old}


@dataclass
class Plan:
    order: ServiceOrder
    items: list[ItemPlan]
    targets: dict[str, DeviceTarget]
    platforms: dict[str, str]

    @property
    def devices(self) -> list[str]:
        return sorted(set().union(*(i.devices for i in self.items)) if self.items else set())


class Resolver:
    """Sites to endpoints, from the inventory and the discovered links."""

    def __init__(self, inventory: Inventory, links: Iterable[Link]) -> None:
        self.inventory = inventory
        self.links = list(links)

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


def validate_items(
    order: ServiceOrder, catalog: Catalog, resolver_of: Callable[[], Resolver], services: Mapping[str, Service]
) -> list[Problem]:
    """Every problem with the order's items, found without touching any device or pool.

    ``resolver_of`` is called only when a site must be resolved (it reads the inventory).
    """
    problems: list[Problem] = []
    resolvers: list[Resolver] = []
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
        for endpoint in spec.endpoints:
            if not resolvers:
                resolvers.append(resolver_of())
            try:
                resolvers[0].endpoint(endpoint.name, str(values[endpoint.site]), str(values[endpoint.lan]))
            except DomainError as exc:
                problems.append(Problem(f"{where}.service.serviceCharacteristic[{endpoint.site}].value", str(exc)))
    return problems


class Planner:
    def __init__(self, catalog: Catalog, inventory: Inventory, resolver: Resolver, pools: PoolStore) -> None:
        self.catalog, self.inventory, self.resolver, self.pools = catalog, inventory, resolver, pools

    def plan(
        self,
        order: ServiceOrder,
        services: Mapping[str, Service],
        stored: Mapping[str, list[Rendering]],
        *,
        allocate: bool,
    ) -> Plan:
        """Render every item; with ``allocate`` the pool values are taken (each new service gets its id first)."""
        items: list[ItemPlan] = []
        peeked: dict[str, list[str]] = {}
        for item in order.execution_order():
            if item.action is ItemAction.NO_CHANGE:
                continue
            service = services.get(item.service_id or "")
            spec = self.catalog.spec(service.spec_id if service else item.service_spec)
            service_id = item.service_id or str(uuid.uuid4())
            base = dict(service.characteristics) if service else None
            values, problems = spec.values(item.characteristics, "serviceCharacteristic", base=base)
            if problems and item.action is not ItemAction.DELETE:
                raise DomainError("; ".join(str(p) for p in problems))
            state = self._target_state(item, service)
            old = {(r.device, r.part): r for r in stored.get(service_id, [])}
            name = item.service_name or (service.name if service else f"{spec.id}-{service_id[:8]}")
            renderings: dict[tuple[str, str], str] = {}
            allocations: dict[str, str] = {}
            endpoints: list[Endpoint] = []
            if item.action is ItemAction.DELETE:
                endpoints = self._endpoints_of_deleted(spec, service_id, values)
            else:
                allocations = self._allocations(spec, service_id, allocate, peeked)
                endpoints = [
                    self._with_link(
                        self.resolver.endpoint(e.name, str(values[e.site]), str(values[e.lan])), spec, allocations
                    )
                    for e in spec.endpoints
                ]
                renderings = self._render(spec, service_id, name, values, state, endpoints)
            checks = self._checks(spec, service_id, name, values, state, endpoints) if endpoints else []
            resources = tuple(
                sorted({r for e in endpoints for r in (e.pe, f"{e.pe}:{e.pe_port}", e.ce, f"{e.ce}:{e.ce_port}")})
            )
            item.service_id = service_id
            items.append(
                ItemPlan(
                    item,
                    spec,
                    service_id,
                    name,
                    values,
                    state,
                    endpoints,
                    renderings,
                    old,
                    checks,
                    resources,
                    allocations,
                )
            )
        devices = sorted(set().union(*(i.devices for i in items)) if items else set())
        targets = {d: self.inventory.target(d) for d in devices}
        return Plan(order, items, targets, {d: t.platform for d, t in targets.items()})

    def _endpoints_of_deleted(self, spec: ServiceSpec, service_id: str, values: Mapping[str, Value]) -> list[Endpoint]:
        """Where a deleted service was (for the checks that show its traffic stopped); [] if that is unknown now."""
        try:
            held = self._allocations(spec, service_id, False, {})
            return [
                self._with_link(self.resolver.endpoint(e.name, str(values[e.site]), str(values[e.lan])), spec, held)
                for e in spec.endpoints
            ]
        except (DomainError, KeyError):
            return []

    @staticmethod
    def _target_state(item: ServiceOrderItem, service: Service | None) -> ServiceState:
        if item.action is ItemAction.DELETE:
            return ServiceState.TERMINATED
        if item.target_state == "inactive":
            return ServiceState.INACTIVE
        if item.target_state == "active" or service is None:
            return ServiceState.ACTIVE
        return service.state if service.live else ServiceState.ACTIVE

    def _allocations(
        self, spec: ServiceSpec, service_id: str, allocate: bool, peeked: dict[str, list[str]]
    ) -> dict[str, str]:
        out: dict[str, str] = {}
        for endpoint in spec.endpoints:
            for purpose, pool_name in spec.pools:
                pool = self.catalog.pools[pool_name]
                key = f"{purpose}-{endpoint.name}"
                if allocate:
                    out[key] = self.pools.allocate(pool, service_id, key)
                else:
                    taken = peeked.setdefault(pool_name, [])
                    out[key] = self.pools.peek(pool, service_id, key, taken)
                    taken.append(out[key])
        return out

    def _with_link(self, endpoint: Endpoint, spec: ServiceSpec, allocations: Mapping[str, str]) -> Endpoint:
        extra: dict[str, Any] = {}
        for purpose, pool_name in spec.pools:
            extra[purpose] = describe(self.catalog.pools[pool_name], allocations[f"{purpose}-{endpoint.name}"])
        return replace(endpoint, link=extra.get("link", {}))

    def _context(
        self,
        spec: ServiceSpec,
        service_id: str,
        name: str,
        values: Mapping[str, Value],
        state: ServiceState,
        endpoints: list[Endpoint],
    ) -> dict[str, Any]:
        internet = self.resolver.probe("internet")
        return {
            **values,
            "service": {"id": service_id, "name": name, "spec": spec.id, "state": state.value},
            "active": state is ServiceState.ACTIVE,
            "network": dict(self.catalog.network),
            "constants": dict(spec.constants),
            "sites": {e.name: e.view() for e in endpoints},
            "internet": {"name": internet.name, "address": internet.address} if internet else {},
        }

    def _render(
        self,
        spec: ServiceSpec,
        service_id: str,
        name: str,
        values: Mapping[str, Value],
        state: ServiceState,
        endpoints: list[Endpoint],
    ) -> dict[tuple[str, str], str]:
        base = self._context(spec, service_id, name, values, state, endpoints)
        out: dict[tuple[str, str], str] = {}
        for endpoint in endpoints:
            context = {**base, "site": endpoint.view(), "peers": [e.view() for e in endpoints if e is not endpoint]}
            for role, device in (("pe", endpoint.pe), ("ce", endpoint.ce)):
                config = self.inventory.get(device)
                templates = spec.templates.get(role, {})
                platform = config.platform.value
                if platform not in templates:
                    raise DomainError(f"{spec.id} has no {role} template for platform {platform} (device {device})")
                out[(device, CLI)] = out.get((device, CLI), "") + self.catalog.render(templates[platform], context)
                if "netconf" in templates and config.netconf is not None:
                    out[(device, NETCONF)] = out.get((device, NETCONF), "") + self.catalog.render(
                        templates["netconf"], context
                    )
        return out

    def _checks(
        self,
        spec: ServiceSpec,
        service_id: str,
        name: str,
        values: Mapping[str, Value],
        state: ServiceState,
        endpoints: list[Endpoint],
    ) -> list[CheckInstance]:
        base = self._context(spec, service_id, name, values, state, endpoints)
        out: list[CheckInstance] = []
        for endpoint in endpoints:
            peers = [e for e in endpoints if e is not endpoint]
            for check in spec.checks:
                for peer in peers if check.per_peer else [None]:
                    context = {**base, "site": endpoint.view(), "peer": peer.view() if peer else {}}
                    params = tuple((k, self.catalog.render_text(v, context)) for k, v in check.params)
                    where = {"pe": endpoint.pe, "ce": endpoint.ce, "probe": endpoint.probe or ""}.get(
                        check.role, endpoint.pe
                    )
                    if not where:
                        raise DomainError(f"{spec.id}: no probe behind {endpoint.ce} for a {check.kind} check")
                    label = f"{check.kind} on {where}" + "".join(f" {k}={v}" for k, v in params)
                    out.append(CheckInstance(check.kind, where, params, service_id, label))
        return out
