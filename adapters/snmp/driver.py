"""The SNMP driver: facts, interfaces, counters, addresses, LLDP and routing neighbours, get/walk/set.

Every device shares one :class:`SnmpManager` per event loop: one UDP socket and one pysnmp engine
for v3, with a bound on requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from adapters.contract import BaseDriver, Capability
from adapters.errors import AdapterError, DeviceTimeoutError, UnsupportedOperationError
from adapters.models import (
    DeviceFacts,
    DeviceHealth,
    InterfaceCounters,
    InterfaceInfo,
    LldpNeighbor,
    Protocol,
    RoutingNeighbor,
)
from adapters.snmp import ber, mib, parsers
from adapters.snmp.client import CommunityTarget, SnmpClient
from adapters.snmp.session import CommunitySession, SnmpSession, UsmSession
from adapters.target import DeviceTarget

SYSTEM_OIDS = (mib.SYS_DESCR, mib.SYS_OBJECT_ID, mib.SYS_UPTIME, mib.SYS_NAME)


class SnmpManager:
    """What all SNMP drivers of one event loop share: the v1/v2c socket and the v3 engine."""

    def __init__(self, max_in_flight: int = 256, max_repetitions: int = 25) -> None:
        self.max_in_flight = max_in_flight
        self.max_repetitions = max_repetitions
        self._client: SnmpClient | None = None
        self._engine: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sessions: dict[DeviceTarget, SnmpSession] = {}

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new event loop (e.g. a new asyncio.run): start afresh
            self.close()
            self._loop = loop

    def client(self) -> SnmpClient:
        self._check_loop()
        if self._client is None:
            self._client = SnmpClient(self.max_in_flight)
        return self._client

    def engine(self) -> Any:
        self._check_loop()
        if self._engine is None:
            from pysnmp.hlapi.v3arch.asyncio import SnmpEngine

            self._engine = SnmpEngine()
        return self._engine

    def session(self, target: DeviceTarget) -> SnmpSession:
        """The session for ``target``, made once per event loop: a v3 session owns a pysnmp transport
        target whose creation resolves the address, which must not happen on every request."""
        self._check_loop()
        session = self._sessions.get(target)
        if session is None:
            session = self._sessions[target] = self._new_session(target)
        return session

    def _new_session(self, target: DeviceTarget) -> SnmpSession:
        access = target.snmp
        if access is None:
            raise UnsupportedOperationError("no SNMP access configured", device=target.name)
        if access.version == "v3":
            return UsmSession(self.engine(), target.name, target.host, access)
        community = access.community.reveal().encode() if access.community else b""
        write = access.write_community.reveal().encode() if access.write_community else None
        version = ber.VERSION_V1 if access.version == "v1" else ber.VERSION_V2C
        return CommunitySession(
            self.client(),
            CommunityTarget(
                target.name, target.host, access.port, version, community, access.timeout_s, access.retries
            ),
            write,
        )

    def close(self) -> None:
        self._sessions.clear()
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._engine is not None:
            dispatcher = getattr(self._engine, "transport_dispatcher", None)
            self._engine = None
            if dispatcher is not None:
                with contextlib.suppress(RuntimeError):  # its event loop may already be closed
                    dispatcher.close_dispatcher()


class SnmpDriver(BaseDriver):
    """SNMP for any platform: the IF-MIB, IP-MIB, LLDP-MIB, BGP4-MIB and OSPF-MIB readers."""

    protocol: ClassVar[Protocol] = Protocol.SNMP
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.FACTS, Capability.INTERFACES, Capability.COUNTERS, Capability.LLDP, Capability.ROUTING}
    )

    def __init__(self, target: DeviceTarget, manager: SnmpManager) -> None:
        super().__init__(target)
        self.manager = manager

    @property
    def _session(self) -> SnmpSession:
        return self.manager.session(self.target)

    async def get(self, oids: Sequence[ber.Oid]) -> list[ber.VarBind]:
        return await self._session.get(oids)

    async def walk(self, root: ber.Oid) -> list[ber.VarBind]:
        return await self._session.walk(root, self.manager.max_repetitions)

    async def set(self, varbinds: Sequence[ber.VarBind]) -> list[ber.VarBind]:
        """SET with the write community (v1/v2c) or the v3 user; a refusal is ConfigurationRejectedError."""
        return await self._session.set(varbinds)

    async def _walk_many(self, *roots: ber.Oid) -> list[list[ber.VarBind]]:
        return list(await asyncio.gather(*(self.walk(root) for root in roots)))

    async def get_facts(self) -> DeviceFacts:
        system = {oid: value for oid, tag, value in await self.get(SYSTEM_OIDS) if tag not in ber.EXCEPTION_TAGS}
        if mib.SYS_NAME not in system:
            raise AdapterError(
                "the agent does not expose the system group", device=self.target.name, operation="get_facts"
            )
        serials = await self.walk(mib.ENT_PHYSICAL_SERIAL)
        serial = next((parsers.text(v) for _, _, v in serials if parsers.text(v)), "")
        return parsers.facts(system, serial)

    async def _uptime(self) -> float:
        ((_, tag, value),) = await self.get([mib.SYS_UPTIME])
        return parsers.number(value) / 100.0 if tag == ber.TAG_TIMETICKS else 0.0

    async def get_interfaces(self) -> list[InterfaceInfo]:
        if_walk, ifx_walk, v4, v6 = await self._walk_many(
            mib.IF_TABLE, mib.IFX_TABLE, mib.IP_ADDR_ENTRY, mib.IP_ADDRESS_ENTRY
        )
        addresses = parsers.ipv4_addresses(parsers.table(v4, mib.IP_ADDR_ENTRY))
        for ifindex, extra in parsers.ipv6_addresses(parsers.table(v6, mib.IP_ADDRESS_ENTRY)).items():
            addresses.setdefault(ifindex, []).extend(extra)
        return parsers.interfaces(
            parsers.table(if_walk, mib.IF_ENTRY), parsers.table(ifx_walk, mib.IFX_ENTRY), addresses
        )

    async def get_interface_counters(self) -> list[InterfaceCounters]:
        uptime = await self._uptime()
        read_at = datetime.now(UTC)
        if_walk, ifx_walk = await self._walk_many(mib.IF_TABLE, mib.IFX_TABLE)
        return parsers.counters(
            parsers.table(if_walk, mib.IF_ENTRY), parsers.table(ifx_walk, mib.IFX_ENTRY), uptime, read_at
        )

    async def poll_interfaces(self) -> tuple[list[InterfaceInfo], list[InterfaceCounters], float]:
        """Interfaces and their counters from one ifTable + ifXTable walk (the poller's fast path),
        with the milliseconds the agent took to answer the sysUpTime GET."""
        started = time.perf_counter()
        uptime = await self._uptime()
        response_ms = (time.perf_counter() - started) * 1000.0
        read_at = datetime.now(UTC)
        if_walk, ifx_walk = await self._walk_many(mib.IF_TABLE, mib.IFX_TABLE)
        if_rows, ifx_rows = parsers.table(if_walk, mib.IF_ENTRY), parsers.table(ifx_walk, mib.IFX_ENTRY)
        return (
            parsers.interfaces(if_rows, ifx_rows, {}),
            parsers.counters(if_rows, ifx_rows, uptime, read_at),
            response_ms,
        )

    async def get_health(self) -> DeviceHealth:
        """CPU and memory from HOST-RESOURCES-MIB; None for what the agent does not expose."""
        loads, storage = await self._walk_many(mib.HR_PROCESSOR_LOAD, mib.HR_STORAGE_ENTRY)
        cpu, memory = parsers.health(loads, parsers.table(storage, mib.HR_STORAGE_ENTRY))
        return DeviceHealth(cpu, memory)

    async def get_lldp_neighbors(self) -> list[LldpNeighbor]:
        local, remote, addresses = await self._walk_many(
            mib.LLDP_LOC_PORT_ENTRY, mib.LLDP_REM_ENTRY, mib.LLDP_REM_MAN_ADDR_ENTRY
        )
        return parsers.lldp_neighbors(
            parsers.table(local, mib.LLDP_LOC_PORT_ENTRY),
            parsers.table(remote, mib.LLDP_REM_ENTRY),
            parsers.table(addresses, mib.LLDP_REM_MAN_ADDR_ENTRY),
        )

    async def get_routing_neighbors(self) -> list[RoutingNeighbor]:
        (local_as,), peers, ospf = await asyncio.gather(
            self.get([mib.BGP_LOCAL_AS]), self.walk(mib.BGP_PEER_ENTRY), self.walk(mib.OSPF_NBR_ENTRY)
        )
        bgp = parsers.bgp_neighbors(local_as[2], parsers.table(peers, mib.BGP_PEER_ENTRY))
        return bgp + parsers.ospf_neighbors(parsers.table(ospf, mib.OSPF_NBR_ENTRY))

    async def reachable(self) -> bool:
        """True when the agent answers a sysUpTime GET (the poller's liveness probe)."""
        try:
            await self._uptime()
        except DeviceTimeoutError:
            return False
        return True
