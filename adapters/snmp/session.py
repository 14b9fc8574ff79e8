"""SNMP operations on one device (get, walk, set), the same for v1/v2c and v3.

v1/v2c run on the fast path (:mod:`adapters.snmp.client`, our BER codec); v3 needs USM
(authentication and privacy) and runs on pysnmp 7's asyncio engine with MIB lookups off.
Both return ``(oid, tag, value)`` varbinds, so parsers never see which one answered.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from adapters.errors import AdapterError, AuthenticationError, ConfigurationRejectedError, DeviceTimeoutError
from adapters.snmp import ber
from adapters.snmp.client import CommunityTarget, SnmpClient
from adapters.target import SnmpAccess

ERROR_STATUS = {
    0: "noError",
    1: "tooBig",
    2: "noSuchName",
    3: "badValue",
    4: "readOnly",
    5: "genErr",
    6: "noAccess",
    7: "wrongType",
    8: "wrongLength",
    9: "wrongEncoding",
    10: "wrongValue",
    11: "noCreation",
    12: "inconsistentValue",
    13: "resourceUnavailable",
    14: "commitFailed",
    15: "undoFailed",
    16: "authorizationError",
    17: "notWritable",
    18: "inconsistentName",
}


class SnmpSession(Protocol):
    name: str

    async def get(self, oids: Sequence[ber.Oid]) -> list[ber.VarBind]: ...
    async def walk(self, root: ber.Oid, max_repetitions: int = 25) -> list[ber.VarBind]: ...
    async def set(self, varbinds: Sequence[ber.VarBind], write: bool = True) -> list[ber.VarBind]: ...


def _in_subtree(oid: ber.Oid, root: ber.Oid) -> bool:
    return oid[: len(root)] == root


class _Walker:
    """The walk loop shared by both backends: GETBULK (GETNEXT on v1) until the subtree ends."""

    name: str
    bulk: bool

    async def _next(self, oid: ber.Oid, max_repetitions: int) -> list[ber.VarBind]:
        raise NotImplementedError

    async def walk(self, root: ber.Oid, max_repetitions: int = 25) -> list[ber.VarBind]:
        out: list[ber.VarBind] = []
        current = root
        while True:
            varbinds = await self._next(current, max_repetitions)
            if not varbinds:
                return out
            for oid, tag, value in varbinds:
                if tag == ber.TAG_END_OF_MIB_VIEW or not _in_subtree(oid, root):
                    return out
                if oid <= current:
                    raise AdapterError(
                        f"agent returned a non-increasing OID {ber.oid_str(oid)} after {ber.oid_str(current)}",
                        device=self.name,
                        operation="walk",
                    )
                out.append((oid, tag, value))
                current = oid


class CommunitySession(_Walker):
    """v1/v2c on the shared fast-path client."""

    def __init__(self, client: SnmpClient, target: CommunityTarget, write_community: bytes | None) -> None:
        self.client = client
        self.target = target
        self.name = target.name
        self.bulk = target.version == ber.VERSION_V2C
        self.write_target = (
            None
            if write_community is None
            else CommunityTarget(
                target.name, target.host, target.port, target.version, write_community, target.timeout_s, target.retries
            )
        )

    async def get(self, oids: Sequence[ber.Oid]) -> list[ber.VarBind]:
        message = await self.client.request(
            self.target, ber.PDU_GET, [(oid, ber.TAG_NULL, None) for oid in oids], operation="get"
        )
        if message.error_status == 2 and self.target.version == ber.VERSION_V1:  # v1: noSuchName
            return [(oid, ber.TAG_NO_SUCH_OBJECT, None) for oid in oids]
        self._check(message, "get")
        return list(message.varbinds)

    async def _next(self, oid: ber.Oid, max_repetitions: int) -> list[ber.VarBind]:
        request = [(oid, ber.TAG_NULL, None)]
        if self.bulk:
            message = await self.client.request(self.target, ber.PDU_GETBULK, request, 0, max_repetitions, "walk")
        else:
            message = await self.client.request(self.target, ber.PDU_GETNEXT, request, operation="walk")
            if message.error_status == 2:  # v1 signals the end of the MIB with noSuchName
                return []
        self._check(message, "walk")
        return list(message.varbinds)

    async def set(self, varbinds: Sequence[ber.VarBind], write: bool = True) -> list[ber.VarBind]:
        target = self.write_target if write and self.write_target is not None else self.target
        try:
            message = await self.client.request(target, ber.PDU_SET, list(varbinds), operation="set")
        except DeviceTimeoutError as exc:
            raise DeviceTimeoutError(
                f"{exc.detail}; an agent also stays silent when the community may not write",
                device=self.name,
                operation="set",
            ) from exc
        if message.error_status:
            status = ERROR_STATUS.get(message.error_status, str(message.error_status))
            raise ConfigurationRejectedError(
                "SET refused",
                device_message=f"{status} ({message.error_status}) at varbind {message.error_index}",
                device=self.name,
                operation="set",
            )
        return list(message.varbinds)

    def _check(self, message: ber.Message, operation: str) -> None:
        if message.error_status:
            status = ERROR_STATUS.get(message.error_status, str(message.error_status))
            raise AdapterError(
                f"agent answered {status} at varbind {message.error_index}", device=self.name, operation=operation
            )


# ---------------------------------------------------------------- SNMPv3 through pysnmp

USM_AUTH = {
    "md5": "USM_AUTH_HMAC96_MD5",
    "sha": "USM_AUTH_HMAC96_SHA",
    "sha224": "USM_AUTH_HMAC128_SHA224",
    "sha256": "USM_AUTH_HMAC192_SHA256",
    "sha384": "USM_AUTH_HMAC256_SHA384",
    "sha512": "USM_AUTH_HMAC384_SHA512",
}
USM_PRIV = {
    "des": "USM_PRIV_CBC56_DES",
    "3des": "USM_PRIV_CBC168_3DES",
    "aes": "USM_PRIV_CFB128_AES",
    "aes128": "USM_PRIV_CFB128_AES",
    "aes192": "USM_PRIV_CFB192_AES_BLUMENTHAL",
    "aes256": "USM_PRIV_CFB256_AES_BLUMENTHAL",
    "aes192c": "USM_PRIV_CFB192_AES",  # pysnmp calls Cisco's key extension the plain name
    "aes256c": "USM_PRIV_CFB256_AES",
}
# pysnmp error-indication classes that mean "the agent refused these credentials"
_AUTH_FAILURES = frozenset(
    {
        "UnknownUserName",
        "WrongDigest",
        "UnsupportedSecurityLevel",
        "DecryptionError",
        "AuthenticationError",
        "AuthenticationFailure",
        "UnknownSecurityName",
        "NotInTimeWindow",
        "UnsupportedAuthProtocol",
        "UnsupportedPrivProtocol",
    }
)


def from_pysnmp(value: Any) -> tuple[int, ber.Value]:
    """A pysnmp/pyasn1 value to our (tag, value) pair, by its class name (no MIB lookups)."""
    kind = type(value).__name__
    if kind in ("NoSuchObject", "NoSuchInstance", "EndOfMibView", "Null"):
        return {
            "NoSuchObject": ber.TAG_NO_SUCH_OBJECT,
            "NoSuchInstance": ber.TAG_NO_SUCH_INSTANCE,
            "EndOfMibView": ber.TAG_END_OF_MIB_VIEW,
            "Null": ber.TAG_NULL,
        }[kind], None
    if kind in ("OctetString", "DisplayString", "PhysAddress", "Opaque", "IpAddress", "Bits"):
        tag = {"IpAddress": ber.TAG_IPADDRESS, "Opaque": ber.TAG_OPAQUE}.get(kind, ber.TAG_OCTET_STRING)
        return tag, bytes(value.asOctets())
    if kind == "ObjectIdentifier":
        return ber.TAG_OID, tuple(value)
    tags = {
        "Counter32": ber.TAG_COUNTER32,
        "Gauge32": ber.TAG_GAUGE32,
        "Unsigned32": ber.TAG_GAUGE32,
        "TimeTicks": ber.TAG_TIMETICKS,
        "Counter64": ber.TAG_COUNTER64,
    }
    return tags.get(kind, ber.TAG_INTEGER), int(value)


def to_pysnmp(tag: int, value: ber.Value) -> Any:
    from pysnmp.proto import rfc1902

    if tag == ber.TAG_INTEGER:
        return rfc1902.Integer32(value)
    if tag == ber.TAG_OCTET_STRING:
        return rfc1902.OctetString(value)
    if tag == ber.TAG_OID:
        return rfc1902.ObjectIdentifier(value)
    if tag == ber.TAG_IPADDRESS:
        return rfc1902.IpAddress(value)
    classes = {
        ber.TAG_COUNTER32: rfc1902.Counter32,
        ber.TAG_GAUGE32: rfc1902.Gauge32,
        ber.TAG_TIMETICKS: rfc1902.TimeTicks,
        ber.TAG_COUNTER64: rfc1902.Counter64,
    }
    if tag in classes:
        return classes[tag](value)
    raise ValueError(f"cannot SET a value with tag 0x{tag:02x}")


MIN_KEY_LENGTH = 8  # an SNMPv3 passphrase's least length (RFC 3414 section 11.2; net-snmp refuses shorter)


def short_keys(access: SnmpAccess) -> list[str]:
    """The keys of ``access`` too short for USM, checked before pysnmp sees them: pyasn1 refuses
    them with an error that quotes the key."""
    keys = (("auth_key", access.auth_key), ("priv_key", access.priv_key))
    return [name for name, key in keys if key is not None and len(key.reveal()) < MIN_KEY_LENGTH]


class UsmSession(_Walker):
    """SNMPv3 (USM) on pysnmp's engine; one engine is shared by all v3 sessions of an agent."""

    def __init__(self, engine: Any, name: str, host: str, access: SnmpAccess) -> None:
        from pysnmp.hlapi.v3arch.asyncio import auth

        self.engine = engine
        self.name = name
        self.host = host
        self.access = access
        self.bulk = True
        self.user = auth.UsmUserData(
            access.user or "",
            authKey=access.auth_key.reveal() if access.auth_key else None,
            privKey=access.priv_key.reveal() if access.priv_key else None,
            authProtocol=getattr(auth, USM_AUTH[access.auth_protocol]) if access.auth_protocol else auth.USM_AUTH_NONE,
            privProtocol=getattr(auth, USM_PRIV[access.priv_protocol]) if access.priv_protocol else auth.USM_PRIV_NONE,
        )
        self._transport: Any = None

    async def _target(self) -> Any:
        if self._transport is None:
            from pysnmp.hlapi.v3arch.asyncio import UdpTransportTarget

            self._transport = await UdpTransportTarget.create(
                (self.host, self.access.port), timeout=self.access.timeout_s, retries=self.access.retries
            )
        return self._transport

    async def _run(self, operation: str, command: Any, *args: Any) -> list[ber.VarBind]:
        from pysnmp.error import PySnmpError
        from pysnmp.hlapi.v3arch.asyncio import ContextData

        if short := short_keys(self.access):
            raise AdapterError(
                f"SNMPv3 {' and '.join(short)} of user {self.access.user!r}: shorter than {MIN_KEY_LENGTH} "
                "characters (RFC 3414)",
                device=self.name,
                operation=operation,
            )
        try:
            error_indication, error_status, error_index, varbinds = await command(
                self.engine, self.user, await self._target(), ContextData(), *args, lookupMib=False
            )
        except PySnmpError as exc:  # not chained: pyasn1's errors inside quote the values they refused, keys too
            raise AdapterError(
                f"pysnmp refused the request: {type(exc).__name__}", device=self.name, operation=operation
            ) from None
        if error_indication:
            text = str(error_indication)
            if type(error_indication).__name__ in _AUTH_FAILURES:
                raise AuthenticationError(
                    f"SNMPv3 user {self.access.user!r} refused: {text}", device=self.name, operation=operation
                )
            if type(error_indication).__name__ == "RequestTimedOut":
                raise DeviceTimeoutError(
                    f"no SNMPv3 response from {self.host}:{self.access.port}", device=self.name, operation=operation
                )
            raise AdapterError(text, device=self.name, operation=operation)
        if error_status and operation == "set":
            raise ConfigurationRejectedError(
                "SET refused",
                device_message=f"{error_status} at varbind {error_index}",
                device=self.name,
                operation=operation,
            )
        if error_status:
            raise AdapterError(
                f"agent answered {error_status} at varbind {error_index}", device=self.name, operation=operation
            )
        return [(tuple(name), *from_pysnmp(value)) for name, value in varbinds]

    async def get(self, oids: Sequence[ber.Oid]) -> list[ber.VarBind]:
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType, get_cmd

        return await self._run("get", get_cmd, *(ObjectType(ObjectIdentity(oid)) for oid in oids))

    async def _next(self, oid: ber.Oid, max_repetitions: int) -> list[ber.VarBind]:
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType, bulk_cmd

        return await self._run("walk", bulk_cmd, 0, max_repetitions, ObjectType(ObjectIdentity(oid)))

    async def set(self, varbinds: Sequence[ber.VarBind], write: bool = True) -> list[ber.VarBind]:
        from pysnmp.hlapi.v3arch.asyncio import ObjectIdentity, ObjectType, set_cmd

        objects = [ObjectType(ObjectIdentity(oid), to_pysnmp(tag, value)) for oid, tag, value in varbinds]
        return await self._run("set", set_cmd, *objects)
