"""Small synchronous SNMP wrappers over pysnmp 7's asyncio API, for lab tests and health checks.

Tests stay readable (one call per question asked of a device) while every request still goes
over the wire through the real client library, exactly as the agent will do it.
"""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from pyasn1.codec.ber import decoder
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    OctetString,
    SnmpEngine,
    UdpTransportTarget,
    UsmUserData,
    bulk_walk_cmd,
    get_cmd,
    set_cmd,
    usmAesCfb128Protocol,
    usmHMACSHAAuthProtocol,
)
from pysnmp.proto import api

from lab.secrets import LabSecrets

SYS_NAME = "1.3.6.1.2.1.1.5.0"
SYS_CONTACT = "1.3.6.1.2.1.1.4.0"
SYS_LOCATION = "1.3.6.1.2.1.1.6.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"
LLDP_REM_SYS_NAME = "1.0.8802.1.1.2.1.4.1.1.9"
SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
LINK_DOWN = "1.3.6.1.6.3.1.1.5.3"
LINK_UP = "1.3.6.1.6.3.1.1.5.4"
IF_INDEX = "1.3.6.1.2.1.2.2.1.1"


def v2c(community: str) -> CommunityData:
    return CommunityData(community, mpModel=1)  # noqa: S508 (the lab speaks v2c by design)


def v3(secrets: LabSecrets) -> UsmUserData:
    return UsmUserData(secrets.v3_user, secrets.v3_auth, secrets.v3_priv,
                       authProtocol=usmHMACSHAAuthProtocol, privProtocol=usmAesCfb128Protocol)


async def _get(host: str, auth: Any, oids: tuple[str, ...]) -> dict[str, Any]:
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((host, 161), timeout=2, retries=2)
        err, status, _, binds = await get_cmd(engine, auth, target, ContextData(),
                                              *(ObjectType(ObjectIdentity(o)) for o in oids), lookupMib=False)
        if err or status:
            raise RuntimeError(f"GET {host}: {err or status.prettyPrint()}")
        return {str(name): value for name, value in binds}
    finally:
        engine.close_dispatcher()


def get(host: str, auth: Any, *oids: str) -> dict[str, Any]:
    """GET the OIDs; raises on any error."""
    return asyncio.run(_get(host, auth, oids))


async def _set(host: str, auth: Any, oid: str, value: str) -> str | None:
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((host, 161), timeout=2, retries=2)
        err, status, _, _ = await set_cmd(engine, auth, target, ContextData(),
                                          ObjectType(ObjectIdentity(oid), OctetString(value)), lookupMib=False)
        if err:
            return str(err)
        return status.prettyPrint() if status else None
    finally:
        engine.close_dispatcher()


def set_string(host: str, auth: Any, oid: str, value: str) -> str | None:
    """SET a string; returns None on success, else the error (e.g. 'noAccess')."""
    return asyncio.run(_set(host, auth, oid, value))


async def _walk(host: str, auth: Any, oid: str) -> dict[str, Any]:
    engine = SnmpEngine()
    out: dict[str, Any] = {}
    try:
        target = await UdpTransportTarget.create((host, 161), timeout=2, retries=2)
        async for err, status, _, binds in bulk_walk_cmd(engine, auth, target, ContextData(), 0, 25,
                                                         ObjectType(ObjectIdentity(oid)),
                                                         lookupMib=False, lexicographicMode=False):
            if err or status:
                raise RuntimeError(f"WALK {host} {oid}: {err or status.prettyPrint()}")
            for name, value in binds:
                out[str(name)] = value
        return out
    finally:
        engine.close_dispatcher()


def walk(host: str, auth: Any, oid: str) -> dict[str, Any]:
    """Bulk-walk the subtree under ``oid``."""
    return asyncio.run(_walk(host, auth, oid))


def if_index(host: str, auth: Any, ifname: str) -> int:
    """ifIndex of the interface called ``ifname`` (from ifDescr)."""
    for name, value in walk(host, auth, IF_DESCR).items():
        if str(value) == ifname:
            return int(name.rsplit(".", 1)[1])
    raise KeyError(f"{host} has no interface {ifname}")


class TrapReceiver:
    """A raw UDP socket on the trap address; datagrams are decoded with pysnmp's protocol API."""

    def __init__(self, address: tuple[str, int]) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(address)

    def close(self) -> None:
        self.sock.close()

    def wait_for(self, source: str, trap_oid: str, if_idx: int, deadline_s: float) -> float:
        """Seconds until a ``trap_oid`` trap about ifIndex ``if_idx`` from ``source`` arrived."""
        started = time.monotonic()
        end = started + deadline_s
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data, (addr, _) = self.sock.recvfrom(65535)
            except TimeoutError:
                break
            if addr != source:
                continue
            binds = decode_v2c_trap(data)
            if str(binds.get(SNMP_TRAP_OID)) == trap_oid and int(binds.get(f"{IF_INDEX}.{if_idx}", -1)) == if_idx:
                return time.monotonic() - started
        raise AssertionError(f"no trap {trap_oid} for ifIndex {if_idx} from {source} within {deadline_s}s")


def decode_v2c_trap(data: bytes) -> dict[str, Any]:
    """{oid: value} of a v2c trap datagram ({} for anything else)."""
    if int(api.decodeMessageVersion(data)) != api.SNMP_VERSION_2C:
        return {}
    module = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    message, _ = decoder.decode(data, asn1Spec=module.Message())
    pdu = module.apiMessage.get_pdu(message)
    return {str(name): value for name, value in module.apiPDU.get_varbinds(pdu)}
