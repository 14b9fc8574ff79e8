"""From an order to what each device should hold: endpoints resolved (:mod:`.sites`), values
checked, pools drawn, templates rendered, checks instantiated.

Planning (:meth:`Planner.plan`) takes pool values, or, for a dry run, only looks at which it would take.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from adapters import DeviceTarget
from oss_agent.config.inventory import Inventory
from oss_agent.domain.catalog import ServiceSpec, Value
from oss_agent.domain.errors import DomainError
from oss_agent.domain.pools import describe
from oss_agent.domain.service import Service, ServiceState
from oss_agent.domain.service_order import ItemAction, ServiceOrder, ServiceOrderItem
from oss_agent.provisioning.catalog import Catalog
from oss_agent.provisioning.sites import Endpoint, Resolver
from oss_agent.storage.pool_repository import PoolStore
from oss_agent.storage.provisioning_repository import Rendering

CLI, NETCONF = "cli", "netconf"
PORTS = "access-port"  # a claim per site: one service per customer access port


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
                self._claim_ports(endpoints, service_id, allocate)
            context = self._context(spec, service_id, name, values, state, endpoints)
            if item.action is not ItemAction.DELETE:
                renderings = self._render(spec, endpoints, context)
            checks = self._checks(spec, service_id, endpoints, context) if endpoints else []
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

    def _claim_ports(self, endpoints: list[Endpoint], service_id: str, allocate: bool) -> None:
        for endpoint in endpoints:
            port = f"{endpoint.ce}:{endpoint.ce_port}"
            if allocate:
                holder = self.pools.claim(PORTS, port, service_id, f"port-{endpoint.name}")
            else:
                holder = self.pools.holder(PORTS, port) or service_id
            if holder != service_id:
                raise DomainError(f"site {endpoint.site}: its access port {port} carries service {holder} already")

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

    def _render(self, spec: ServiceSpec, endpoints: list[Endpoint], base: dict[str, Any]) -> dict[tuple[str, str], str]:
        """Each device's rendering: the role's template for its platform, per endpoint (``base``: the context)."""
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
        self, spec: ServiceSpec, service_id: str, endpoints: list[Endpoint], base: dict[str, Any]
    ) -> list[CheckInstance]:
        """The spec's checks with their parameters rendered per endpoint (and per peer where asked)."""
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
