"""The notification receiver: traps and informs (v1, v2c, v3) as an async stream of decoded events.

One UDP socket, opened by pysnmp's asyncio transport with a 4 MiB receive buffer (a 10k burst at
5k/s fitted, lab notes). pysnmp's dispatcher routes each datagram by a public routing hook: v1 and
v2c go to our BER fast path (pyasn1 held about 1k traps/s, snmptrapd 10k/s). Each v3 message is
judged first by :mod:`adapters.snmp.v3gate`: traps from a user whose sender engine id is configured
go to the USM fast path (:mod:`adapters.snmp.usm`: digest, AES decryption and time window over our
codec); informs (this engine is authoritative for them), DES users and engine-id discovery go to
pysnmp's USM stack. Informs are acknowledged on both paths. A datagram that is garbled, truncated,
from an unknown community, engine or user, or fails authentication is counted (by reason, see
:meth:`TrapReceiver.counts`) and dropped; nothing a sender can put on the wire stops the receiver.
Communities and keys are never kept in the decoded notification.

Memory is bounded against unauthenticated senders: a v1/v2c community is checked before the PDU is
decoded, and a v3 message is judged from its header (and its digest, where the keys are held here)
before any OID in it is decoded by us or by pysnmp; every OID decoded is held to SMI's bounds, and
the codec's OID cache is bounded by bytes (:mod:`adapters.snmp.ber`).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from adapters.errors import AdapterError
from adapters.snmp import ber, mib, usm, v3msg
from adapters.snmp.client import set_receive_buffer
from adapters.snmp.session import MIN_KEY_LENGTH, USM_AUTH, USM_PRIV, from_pysnmp, short_keys
from adapters.snmp.v3gate import FAST, PYSNMP, V3Gate, V3TrapUser

__all__ = ["REFUSAL_REASONS", "Notification", "ReceiverStats", "TrapReceiver", "V3TrapUser"]

logger = logging.getLogger(__name__)

RECEIVE_BUFFER = 4 * 1024 * 1024
_FAST_PATH = "oss-agent-fast-path"
_FAST_PATH_V3 = "oss-agent-fast-path-v3"
_REFUSED = "oss-agent-refused"  # counted by the routing hook already; nothing more to do
_SYS_UPTIME_0 = (*mib.SYSTEM, 3, 0)


@dataclass(frozen=True, slots=True)
class Notification:
    """One received trap or inform, in SNMPv2 form (v1 traps converted as RFC 3584 says)."""

    source: str
    source_port: int
    version: str
    security_name: str
    trap_oid: ber.Oid
    uptime_ticks: int | None
    varbinds: tuple[ber.VarBind, ...]
    inform: bool
    received_at: float
    agent_address: str | None = None


REFUSAL_REASONS = (
    "malformed",  # not a well-formed SNMP message, or an OID beyond SMI's bounds
    "bad_community",
    "unknown_engine",  # v3: a trap from an engine no user is configured for, a request for another
    "unknown_user",
    "unsupported_security_level",
    "failed_digest",
    "not_in_time_window",  # v3 traps: old or replayed (RFC 3414 3.2 step 7b)
    "decryption_error",
)
# Refusals pysnmp's USM and message processing count for the v3 messages the gate gives it. Its
# usmStatsUnknownEngineIDs and usmStatsNotInTimeWindows are left out: they also count the discovery
# steps every v3 inform sender goes through (RFC 3414 section 4).
_PYSNMP_REFUSALS = (
    ("__SNMPv2-MIB", "snmpInASNParseErrs", "malformed"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsWrongDigests", "failed_digest"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnknownUserNames", "unknown_user"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsDecryptionErrors", "decryption_error"),
    ("__SNMP-USER-BASED-SM-MIB", "usmStatsUnsupportedSecLevels", "unsupported_security_level"),
)


@dataclass
class ReceiverStats:
    """What the receiver did with each datagram (its own paths; pysnmp's are added by ``counts``)."""

    datagrams: int = 0
    notifications: int = 0
    refused: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REFUSAL_REASONS, 0))
    informs_acknowledged: int = 0
    v3_fast_path: int = 0
    dropped_queue_full: int = 0
    internal_errors: int = 0  # datagrams a receiving stage raised on (the first 20 kept in errors)
    errors: list[str] = field(default_factory=list)

    @property
    def malformed(self) -> int:
        return self.refused["malformed"]

    @property
    def rejected(self) -> int:
        """Well-formed datagrams refused: not authenticated, or not acceptable to this receiver."""
        return sum(count for reason, count in self.refused.items() if reason != "malformed")


def v1_to_v2(message: ber.Message) -> tuple[ber.Oid, int | None, tuple[ber.VarBind, ...], str | None]:
    """RFC 3584 3.1: a v1 trap's OID, uptime and varbinds in SNMPv2 form."""
    header = message.trap_v1
    assert header is not None
    if header.generic_trap == 6:
        trap_oid: ber.Oid = (*header.enterprise, 0, header.specific_trap)
    else:
        trap_oid = (*mib.SNMP_TRAPS, header.generic_trap + 1)
    address = ".".join(str(b) for b in header.agent_address) if len(header.agent_address) == 4 else None
    return trap_oid, header.timestamp, message.varbinds, address


def from_v2_varbinds(varbinds: tuple[ber.VarBind, ...]) -> tuple[ber.Oid, int | None, tuple[ber.VarBind, ...]]:
    """Split sysUpTime.0 and snmpTrapOID.0 (the first two varbinds of a v2 notification) from the rest."""
    uptime: int | None = None
    trap_oid: ber.Oid = ()
    rest = []
    for oid, tag, value in varbinds:
        if oid == _SYS_UPTIME_0 and isinstance(value, int):
            uptime = value
        elif oid == mib.SNMP_TRAP_OID and isinstance(value, tuple):
            trap_oid = value
        else:
            rest.append((oid, tag, value))
    return trap_oid, uptime, tuple(rest)


def _within_smi(varbinds: tuple[ber.VarBind, ...]) -> bool:
    """Whether every OID of ``varbinds`` (names and OID values) is within SMI's bounds."""
    return all(ber.valid_oid(oid) and not (isinstance(v, tuple) and not ber.valid_oid(v)) for oid, _, v in varbinds)


def _refused(dispatcher: Any, domain: Any, address: Any, data: bytes) -> None:
    """The dispatcher's callback for what the routing hook refused (and counted)."""


class TrapReceiver:
    """Receive notifications on ``host:port``; iterate over the receiver to get them.

    ``communities`` limits v1/v2c to those communities (None accepts any); ``v3_users`` are the USM
    users accepted for v3.
    """

    def __init__(
        self,
        host: str,
        port: int,
        communities: Iterable[str] | None = None,
        v3_users: Iterable[V3TrapUser] = (),
        queue_size: int = 200_000,
        v3_fast_path: bool = True,
    ) -> None:
        self.host, self.port = host, port
        self._communities = None if communities is None else {c.encode() for c in communities}
        self._v3_users = list(v3_users)
        self._v3_gate = V3Gate(self._v3_users, v3_fast_path)
        self._v3_window = usm.TimeWindow()
        self._v3_pending: tuple[v3msg.V3Message, usm.LocalUser] | None = None
        self._queue: asyncio.Queue[Notification] = asyncio.Queue(queue_size)
        self.stats = ReceiverStats()
        self._engine: Any = None
        self._transport: Any = None
        self.bound_port: int | None = None
        self.receive_buffer = 0

    async def start(self) -> None:
        from pysnmp.carrier.asyncio.dgram import udp
        from pysnmp.entity import config, engine
        from pysnmp.entity.rfc3413 import ntfrcv

        from adapters.snmp.udp import BatchedUdpTransport  # imports pysnmp, as the lines above

        for user in self._v3_users:  # before pysnmp, whose refusal would quote the key, and before the socket
            if short := short_keys(user.access):
                raise AdapterError(
                    f"SNMPv3 {' and '.join(short)} of user {user.access.user!r}: shorter than {MIN_KEY_LENGTH} "
                    "characters (RFC 3414)",
                    operation="receive traps",
                )
        snmp_engine = engine.SnmpEngine()
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_DGRAM)
        self.receive_buffer = set_receive_buffer(sock, RECEIVE_BUFFER)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.setblocking(False)
        self.bound_port = sock.getsockname()[1]
        transport = BatchedUdpTransport(sock, self._internal_error).open_server_mode()
        config.add_transport(snmp_engine, udp.DOMAIN_NAME, transport)
        self._add_v3_users(snmp_engine, config)
        dispatcher = snmp_engine.transport_dispatcher
        dispatcher.register_routing_callback(self._route)
        dispatcher.register_recv_callback(self._fast_path, _FAST_PATH)
        dispatcher.register_recv_callback(self._fast_path_v3, _FAST_PATH_V3)
        dispatcher.register_recv_callback(_refused, _REFUSED)
        ntfrcv.NotificationReceiver(snmp_engine, self._v3_notification)
        self._v3_gate.set_local_engine(bytes(snmp_engine.snmpEngineID))
        self._engine, self._transport = snmp_engine, transport

    def _internal_error(self, exc: Exception) -> None:
        self.stats.internal_errors += 1
        if len(self.stats.errors) < 20:
            self.stats.errors.append(f"{type(exc).__name__}: {exc}")
        logger.debug("a datagram was not processed: %s", exc)

    def _add_v3_users(self, snmp_engine: Any, config: Any) -> None:
        from pysnmp.hlapi.v3arch.asyncio import auth
        from pysnmp.proto.api import v2c

        for user in self._v3_users:
            a = user.access
            kwargs: dict[str, Any] = {}
            if user.engine_id:
                kwargs["securityEngineId"] = v2c.OctetString(hexValue=user.engine_id)
            config.add_v3_user(
                snmp_engine,
                a.user,
                getattr(auth, USM_AUTH[a.auth_protocol]) if a.auth_protocol else auth.USM_AUTH_NONE,
                a.auth_key.reveal() if a.auth_key else None,
                getattr(auth, USM_PRIV[a.priv_protocol]) if a.priv_protocol else auth.USM_PRIV_NONE,
                a.priv_key.reveal() if a.priv_key else None,
                **kwargs,
            )

    def _route(self, domain: Any, address: Any, data: bytes) -> str | None:
        """v1/v2c to the fast path; v3 where the gate says: the v3 fast path, pysnmp, or refused."""
        self.stats.datagrams += 1
        try:
            version = ber.peek_version(bytes(data))
        except ber.BerError:
            return _FAST_PATH  # the fast path counts it as malformed
        if version != ber.VERSION_V3:
            return _FAST_PATH
        try:
            message = v3msg.decode_v3(bytes(data))  # the header and USM parameters: no OID is decoded
        except ber.BerError:
            self.stats.refused["malformed"] += 1
            return _REFUSED
        verdict = self._v3_gate.judge(message, bytes(data))
        if verdict.path is None:
            self.stats.refused[verdict.refusal] += 1
            return _REFUSED
        if verdict.path == PYSNMP:
            return None
        assert verdict.path == FAST and verdict.user is not None
        # the dispatcher calls the routed callback right after this one returns, in the same call
        self._v3_pending = (message, verdict.user)
        return _FAST_PATH_V3

    def _fast_path_v3(self, dispatcher: Any, domain: Any, address: Any, data: bytes) -> None:
        pending, self._v3_pending = self._v3_pending, None
        if pending is None:
            return
        message, user = pending
        if not usm.authentic(user, bytes(data), message):
            self.stats.refused["failed_digest"] += 1
            return
        if not self._v3_window.accept(message.engine_id, message.engine_boots, message.engine_time):
            self.stats.refused["not_in_time_window"] += 1
            return
        try:
            plain = usm.decrypt(user, message) if user.priv_key is not None else message.scoped
            scoped = v3msg.decode_scoped_pdu(plain)
        except ber.BerError:
            self.stats.refused["malformed"] += 1
            return
        if scoped.pdu_type != ber.PDU_TRAP_V2:
            self.stats.refused["malformed"] += 1
            return
        self.stats.v3_fast_path += 1
        trap_oid, uptime, varbinds = from_v2_varbinds(scoped.varbinds)
        name = user.name.decode("utf-8", "replace")
        self._emit(
            Notification(str(address[0]), int(address[1]), "v3", name, trap_oid, uptime, varbinds, False, time.time())
        )

    def _fast_path(self, dispatcher: Any, domain: Any, address: Any, data: bytes) -> None:
        try:
            message = ber.decode_message(bytes(data), self._communities)  # the community first
        except ber.BerError:
            self.stats.refused["malformed"] += 1
            return
        except ber.UnknownCommunityError:
            self.stats.refused["bad_community"] += 1
            return
        source, port = str(address[0]), int(address[1])
        if message.pdu_type == ber.PDU_TRAP_V1:
            trap_oid, uptime, varbinds, agent = v1_to_v2(message)
            self._emit(
                Notification(source, port, "v1", "community", trap_oid, uptime, varbinds, False, time.time(), agent)
            )
            return
        if message.pdu_type not in (ber.PDU_TRAP_V2, ber.PDU_INFORM):
            self.stats.refused["malformed"] += 1
            return
        inform = message.pdu_type == ber.PDU_INFORM
        if inform:
            response = ber.encode_message(
                message.version, message.community, ber.PDU_RESPONSE, message.request_id, message.varbinds
            )
            dispatcher.send_message(response, domain, address)
            self.stats.informs_acknowledged += 1
        trap_oid, uptime, varbinds = from_v2_varbinds(message.varbinds)
        version = "v1" if message.version == ber.VERSION_V1 else "v2c"
        self._emit(Notification(source, port, version, "community", trap_oid, uptime, varbinds, inform, time.time()))

    def _v3_notification(
        self,
        snmp_engine: Any,
        state_reference: Any,
        context_engine_id: Any,
        context_name: Any,
        varbinds: Any,
        cb_ctx: Any,
    ) -> None:
        exec_context = snmp_engine.observer.get_execution_context("rfc3412.receiveMessage:request")
        address = exec_context.get("transportAddress", ("", 0))
        security_name = str(exec_context.get("securityName", ""))
        pdu_type = exec_context.get("pdu")
        converted = tuple((tuple(oid), *from_pysnmp(value)) for oid, value in varbinds)
        if not _within_smi(converted):  # pyasn1 decodes OIDs of any size: held to SMI's bounds here
            self.stats.refused["malformed"] += 1
            return
        trap_oid, uptime, rest = from_v2_varbinds(converted)
        inform = pdu_type is not None and "Inform" in type(pdu_type).__name__
        self._emit(
            Notification(
                str(address[0]), int(address[1]), "v3", security_name, trap_oid, uptime, rest, inform, time.time()
            )
        )

    def counts(self) -> dict[str, int]:
        """Every count by name: datagrams, notifications, each refusal reason (:data:`REFUSAL_REASONS`,
        pysnmp's USM refusals included), internal errors and notifications dropped on a full queue."""
        stats = self.stats
        counts = dict(stats.refused) | {
            "datagrams": stats.datagrams,
            "notifications": stats.notifications,
            "internal_errors": stats.internal_errors,
            "dropped_queue_full": stats.dropped_queue_full,
            "informs_acknowledged": stats.informs_acknowledged,
        }
        if self._engine is not None:
            builder = self._engine.get_mib_builder()
            for module, name, reason in _PYSNMP_REFUSALS:
                (counter,) = builder.import_symbols(module, name)
                counts[reason] += int(counter.syntax)
        return counts

    def _emit(self, notification: Notification) -> None:
        try:
            self._queue.put_nowait(notification)
            self.stats.notifications += 1
        except asyncio.QueueFull:
            self.stats.dropped_queue_full += 1

    def __aiter__(self) -> AsyncIterator[Notification]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Notification]:
        while True:
            yield await self._queue.get()

    async def get(self, timeout_s: float | None = None) -> Notification:
        """The next notification (raises TimeoutError after ``timeout_s``)."""
        return await asyncio.wait_for(self._queue.get(), timeout_s)

    def drain(self, limit: int = 10_000) -> list[Notification]:
        """Everything queued right now, up to ``limit``, without waiting (for batch consumers)."""
        out: list[Notification] = []
        while len(out) < limit:
            try:
                out.append(self._queue.get_nowait())
            except asyncio.QueueEmpty:
                break
        return out

    @property
    def socket_reads(self) -> int:
        """How many times the socket was read (each read takes every datagram queued, up to a batch)."""
        return int(self._transport.reads) if self._transport is not None else 0

    def close(self) -> None:
        if self._engine is not None:
            self._engine.transport_dispatcher.close_dispatcher()
            self._engine = None
